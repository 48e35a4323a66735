metadata name = 'PulseStream function app'
metadata description = 'One .NET isolated-worker function app on its own Flex Consumption (FC1) plan, running as the shared user-assigned identity, deployed from a blob container.'

@description('Required. Name of the function app.')
@minLength(2)
@maxLength(60)
param name string

@description('Required. Name of the Flex Consumption plan (one app per plan).')
@minLength(1)
@maxLength(60)
param planName string

@description('Required. Azure region of the app and its plan.')
param location string

@description('Optional. Tags applied to the app and its plan.')
param tags { *: string } = {}

@description('Required. The azd service this app deploys (the `azd-service-name` tag).')
param serviceName string

@description('Required. Resource ID of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Required. Name of the storage account that holds the deployment container.')
param storageAccountName string

@description('Required. Blob container the deployment package is uploaded to.')
param deploymentContainerName string

@description('Required. App settings (name to value). Key Vault references are resolved with the user-assigned identity.')
param appSettings { *: string }

@description('Optional. Settings only this app gets, added to `appSettings` (they win on a clash): for example the Alerts app\'s `Email__*`.')
param additionalAppSettings { *: string } = {}

@description('Optional. Version of the .NET isolated worker runtime.')
param runtimeVersion string = '10.0'

@description('Optional. Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Browser origins allowed to call the app\'s HTTP API (CORS).')
param allowedOrigins string[] = []

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityResourceId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      cors: {
        allowedOrigins: allowedOrigins
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, additionalAppSettings)
}

// Deployments authenticate with Entra ID; no FTP or SCM basic-auth publishing credentials.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('The name of the function app.')
output name string = site.name

@description('The resource ID of the function app.')
output resourceId string = site.id

@description('The default host name of the function app.')
output defaultHostName string = site.properties.defaultHostName

@description('The resource ID of the Flex Consumption plan.')
output planResourceId string = plan.id
