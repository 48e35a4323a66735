metadata name = 'PulseStream storage account'
metadata description = 'The storage account behind AzureWebJobsStorage, the Flex Consumption deployment packages and the Table storage that holds API-key records and tenant limits. Keyless: shared-key access is off.'

@description('Required. Name of the storage account (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region of the storage account.')
param location string

@description('Optional. Tags applied to the storage account.')
param tags { *: string } = {}

@description('Optional. Blob containers to create, one per function app deployment package.')
param containerNames string[] = []

@description('Optional. Storage account SKU.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
])
param skuName string = 'Standard_LRS'

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = [
  for containerName in containerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

@description('The name of the storage account.')
output name string = storage.name

@description('The resource ID of the storage account.')
output resourceId string = storage.id

@description('The primary blob endpoint, with a trailing slash.')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

// Tables (API-key records, tenant limits) are created by the apps on first use; Storage Table
// Data Contributor allows that.
@description('The table endpoint, `https://<account>.table.<storage suffix>` without a trailing slash.')
output tableEndpoint string = 'https://${storage.name}.table.${environment().suffixes.storage}'
