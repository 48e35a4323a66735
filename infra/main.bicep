metadata name = 'PulseStream'
metadata description = 'PulseStream on Azure: three Flex Consumption function apps (ingest, alerts, realtime), Event Hubs, SignalR Service (serverless), PostgreSQL Flexible Server with TimescaleDB, Key Vault, storage, monitoring and e-mail through Azure Communication Services, all keyless through one user-assigned identity where the service allows it.'

targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@description('Required. Name of the environment (for example `dev`); it seeds every generated resource name and the `azd-env-name` tag.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Optional. Azure region of every resource.')
param location string = resourceGroup().location

@description('Optional. Tags added to every resource, besides `azd-env-name`.')
param tags { *: string } = {}

@description('Required. Administrator login of the PostgreSQL server.')
@secure()
param postgresAdministratorLogin string

@description('Required. Administrator password of the PostgreSQL server.')
@secure()
param postgresAdministratorPassword string

@description('Required. Password of the `pulse_app` database role the apps connect as (created by the migrations; owns nothing, cannot bypass row-level security).')
@secure()
param postgresAppPassword string

@description('Required. Key that signs the users\' JWT access tokens (HS256; at least 32 random bytes, for example `openssl rand -base64 48`). Stored in Key Vault.')
@secure()
param jwtSigningKey string

@description('Required. Key that protects stored secrets such as webhook signing secrets (AES-256; 32 random bytes, base64: `openssl rand -base64 32`). Stored in Key Vault.')
@secure()
param secretProtectionKey string

@description('Required. Key an operator sends in `X-Operator-Key` to list and replay dead letters on the Alerts app (at least 32 random characters: `openssl rand -base64 32`). Stored in Key Vault.')
@secure()
@minLength(32)
param operatorKey string

@description('Optional. Partitions of the `api-events` event hub. Fixed once created on the Standard tier.')
@minValue(1)
@maxValue(32)
param eventHubPartitionCount int = 8

@description('Optional. Days the `api-events` event hub retains events.')
@minValue(1)
@maxValue(7)
param eventHubMessageRetentionInDays int = 1

@description('Optional. Throughput units of the Event Hubs namespace.')
@minValue(1)
@maxValue(40)
param eventHubThroughputUnits int = 1

@description('Optional. SKU of the SignalR Service.')
@allowed([
  'Free_F1'
  'Standard_S1'
  'Premium_P1'
])
param signalRSkuName string = 'Standard_S1'

@description('Optional. Units of the SignalR Service.')
@minValue(1)
@maxValue(100)
param signalRCapacity int = 1

@description('Optional. Compute SKU of the PostgreSQL server.')
param postgresSkuName string = 'Standard_B1ms'

@description('Optional. Compute tier of the PostgreSQL server SKU.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'Burstable'

@description('Optional. Storage of the PostgreSQL server, in GiB.')
@minValue(32)
@maxValue(16384)
param postgresStorageSizeGB int = 32

@description('Optional. Memory of each function app instance, in MB.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Optional. Most instances each function app scales out to.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Optional. Browser origins, besides the realtime app that serves the dashboard, allowed to call the apps\' HTTP APIs (for example a dashboard under development).')
param dashboardAllowedOrigins string[] = []

@description('Optional. Deploy e-mail through Azure Communication Services (an Email Communication Service with an Azure-managed domain, linked to a Communication Services resource) and configure the Alerts app to send e-mail channels through it. Off: e-mail channels fail, saying no transport is configured.')
param emailEnabled bool = true

@description('Optional. Geography where the e-mail resources store their data at rest (`Europe`, `United States`, `UK`, ...). Fixed once created.')
param emailDataLocation string = 'Europe'

@description('Optional. Turn on Key Vault purge protection (irreversible; the vault name stays taken for 7 days after deletion).')
param keyVaultEnablePurgeProtection bool = false

@description('Optional. Name of the user-assigned identity; generated when empty.')
@maxLength(128)
param identityName string = ''

@description('Optional. Name of the storage account; generated when empty.')
@maxLength(24)
param storageAccountName string = ''

@description('Optional. Name of the Log Analytics workspace; generated when empty.')
@maxLength(63)
param logAnalyticsName string = ''

@description('Optional. Name of the Application Insights component; generated when empty.')
@maxLength(260)
param applicationInsightsName string = ''

@description('Optional. Name of the Event Hubs namespace; generated when empty.')
@maxLength(50)
param eventHubNamespaceName string = ''

@description('Optional. Name of the SignalR Service; generated when empty.')
@maxLength(63)
param signalRName string = ''

@description('Optional. Name of the PostgreSQL server; generated when empty.')
@maxLength(63)
param postgresServerName string = ''

@description('Optional. Name of the Key Vault; generated when empty.')
@maxLength(24)
param keyVaultName string = ''

@description('Optional. Name of the Email Communication Service; generated when empty.')
@maxLength(63)
param emailServiceName string = ''

@description('Optional. Name of the Communication Services resource (globally unique: it is the endpoint\'s host name); generated when empty.')
@maxLength(63)
param communicationServiceName string = ''

@description('Optional. Name of the ingest function app; generated when empty.')
@maxLength(60)
param ingestFunctionAppName string = ''

@description('Optional. Name of the alerts function app; generated when empty.')
@maxLength(60)
param alertsFunctionAppName string = ''

@description('Optional. Name of the realtime function app; generated when empty.')
@maxLength(60)
param realtimeFunctionAppName string = ''

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName })

var eventHubName = 'api-events'
var postgresDatabaseName = 'pulsestream'

var names = {
  identity: !empty(identityName) ? identityName : '${abbrs.managedIdentity}${resourceToken}'
  storage: !empty(storageAccountName) ? storageAccountName : '${abbrs.storageAccount}${resourceToken}'
  logAnalytics: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.logAnalyticsWorkspace}${resourceToken}'
  applicationInsights: !empty(applicationInsightsName)
    ? applicationInsightsName
    : '${abbrs.appInsights}${resourceToken}'
  eventHubNamespace: !empty(eventHubNamespaceName)
    ? eventHubNamespaceName
    : '${abbrs.eventHubNamespace}${resourceToken}'
  signalR: !empty(signalRName) ? signalRName : '${abbrs.signalR}${resourceToken}'
  postgres: !empty(postgresServerName) ? postgresServerName : '${abbrs.postgresFlexibleServer}${resourceToken}'
  keyVault: !empty(keyVaultName) ? keyVaultName : '${abbrs.keyVault}${resourceToken}'
  emailService: !empty(emailServiceName) ? emailServiceName : '${abbrs.emailService}${resourceToken}'
  communicationService: !empty(communicationServiceName)
    ? communicationServiceName
    : '${abbrs.communicationService}${resourceToken}'
  ingest: !empty(ingestFunctionAppName) ? ingestFunctionAppName : '${abbrs.functionApp}ingest-${resourceToken}'
  alerts: !empty(alertsFunctionAppName) ? alertsFunctionAppName : '${abbrs.functionApp}alerts-${resourceToken}'
  realtime: !empty(realtimeFunctionAppName) ? realtimeFunctionAppName : '${abbrs.functionApp}realtime-${resourceToken}'
}

var deploymentContainers = {
  ingest: 'app-package-ingest'
  alerts: 'app-package-alerts'
  realtime: 'app-package-realtime'
}

// ---------------------------------------------------------------------------------------------
// Shared resources
// ---------------------------------------------------------------------------------------------

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: allTags
    containerNames: [
      deploymentContainers.ingest
      deploymentContainers.alerts
      deploymentContainers.realtime
    ]
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'eventhubs'
  params: {
    name: names.eventHubNamespace
    location: location
    tags: allTags
    eventHubName: eventHubName
    consumerGroups: [
      'alerts'
      'realtime'
    ]
    partitionCount: eventHubPartitionCount
    messageRetentionInDays: eventHubMessageRetentionInDays
    skuCapacity: eventHubThroughputUnits
  }
}

module signalR 'modules/signalr.bicep' = {
  name: 'signalr'
  params: {
    name: names.signalR
    location: location
    tags: allTags
    skuName: signalRSkuName
    capacity: signalRCapacity
    // The realtime app's default host name, from its name: its module depends on this one (through rbac).
    connectionUpstreamUrlTemplate: 'https://${names.realtime}.azurewebsites.net/api/signalr/upstream/{hub}/{category}/{event}'
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  params: {
    name: names.postgres
    location: location
    tags: allTags
    administratorLogin: postgresAdministratorLogin
    administratorLoginPassword: postgresAdministratorPassword
    databaseName: postgresDatabaseName
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageSizeGB: postgresStorageSizeGB
  }
}

module communication 'modules/communication.bicep' = if (emailEnabled) {
  name: 'communication'
  params: {
    emailServiceName: names.emailService
    communicationServiceName: names.communicationService
    tags: allTags
    dataLocation: emailDataLocation
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: names.keyVault
    location: location
    tags: allTags
    jwtSigningKey: jwtSigningKey
    secretProtectionKey: secretProtectionKey
    operatorKey: operatorKey
    postgresConnectionString: 'Host=${postgres.outputs.fullyQualifiedDomainName};Port=5432;Database=${postgres.outputs.databaseName};Username=pulse_app;Password=${postgresAppPassword};SSL Mode=VerifyFull'
    postgresMigrationConnectionString: 'Host=${postgres.outputs.fullyQualifiedDomainName};Port=5432;Database=${postgres.outputs.databaseName};Username=${postgresAdministratorLogin};Password=${postgresAdministratorPassword};SSL Mode=VerifyFull'
    postgresAppPassword: postgresAppPassword
    signalRName: names.signalR
    communicationServiceName: emailEnabled ? names.communicationService : ''
    enablePurgeProtection: keyVaultEnablePurgeProtection
  }
  dependsOn: [
    signalR
    communication
  ]
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: names.storage
    eventHubNamespaceName: names.eventHubNamespace
    eventHubName: eventHubName
    signalRName: names.signalR
    keyVaultName: names.keyVault
    applicationInsightsName: names.applicationInsights
  }
  // Names are passed rather than outputs so that what-if can predict the assignments.
  dependsOn: [
    storage
    eventHubs
    signalR
    keyVault
    monitoring
  ]
}

// ---------------------------------------------------------------------------------------------
// Function apps
// ---------------------------------------------------------------------------------------------

// The same settings for the three apps: the names are the ones the C# options bind and the
// local host and local.settings.sample.json use. Secrets are Key Vault references resolved
// with the user-assigned identity; everything else is keyless.
var appSettings = {
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  PostgresConnection: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.postgresConnectionUri})'
  PostgresMigrationConnection: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.postgresMigrationConnectionUri})'
  Postgres__AppRole: 'pulse_app'
  Postgres__AppRolePassword: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.postgresAppRoleUri})'
  TablesConnection__endpoint: storage.outputs.tableEndpoint
  TablesConnection__credential: 'managedidentity'
  TablesConnection__clientId: identity.outputs.clientId
  EventHubName: eventHubName
  EventHubConnection__fullyQualifiedNamespace: eventHubs.outputs.fullyQualifiedNamespace
  EventHubConnection__credential: 'managedidentity'
  EventHubConnection__clientId: identity.outputs.clientId
  SignalRConnection: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.signalRConnectionUri})'
  Auth__SigningKey: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.jwtSigningKeyUri})'
  Secrets__ProtectionKey: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.secretProtectionKeyUri})'
  Operations__OperatorKey: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.operatorKeyUri})'
  Auth__Issuer: 'pulsestream'
  Auth__Audience: 'pulsestream-api'
  AZURE_CLIENT_ID: identity.outputs.clientId
}

// Only the Alerts app sends notifications, so only it gets the e-mail settings (names as in EmailOptions and
// local.settings.sample.json). With e-mail off they are empty: the app then fails e-mail channels, saying why.
var alertsEmailSettings = {
  Email__Transport: emailEnabled ? 'acs' : ''
  Email__Acs__Endpoint: communication.?outputs.endpoint ?? ''
  Email__Acs__AccessKey: emailEnabled ? '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.acsAccessKeyUri})' : ''
  Email__From: communication.?outputs.senderAddress ?? ''
}

module realtimeApp 'modules/functionapp.bicep' = {
  name: 'func-realtime'
  params: {
    name: names.realtime
    planName: '${abbrs.serverFarm}realtime-${resourceToken}'
    location: location
    tags: allTags
    serviceName: 'realtime'
    identityResourceId: identity.outputs.resourceId
    storageAccountName: names.storage
    deploymentContainerName: deploymentContainers.realtime
    appSettings: appSettings
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
    allowedOrigins: dashboardAllowedOrigins
  }
  // Role assignments first, so Key Vault references and the deployment container resolve.
  dependsOn: [
    rbac
  ]
}

module ingestApp 'modules/functionapp.bicep' = {
  name: 'func-ingest'
  params: {
    name: names.ingest
    planName: '${abbrs.serverFarm}ingest-${resourceToken}'
    location: location
    tags: allTags
    serviceName: 'ingest'
    identityResourceId: identity.outputs.resourceId
    storageAccountName: names.storage
    deploymentContainerName: deploymentContainers.ingest
    appSettings: appSettings
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
  }
  dependsOn: [
    rbac
  ]
}

module alertsApp 'modules/functionapp.bicep' = {
  name: 'func-alerts'
  params: {
    name: names.alerts
    planName: '${abbrs.serverFarm}alerts-${resourceToken}'
    location: location
    tags: allTags
    serviceName: 'alerts'
    identityResourceId: identity.outputs.resourceId
    storageAccountName: names.storage
    deploymentContainerName: deploymentContainers.alerts
    appSettings: appSettings
    additionalAppSettings: alertsEmailSettings
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
    // The dashboard, served by the realtime app, calls the alerts API from the browser.
    allowedOrigins: concat(
      [
        'https://${realtimeApp.outputs.defaultHostName}'
      ],
      dashboardAllowedOrigins
    )
  }
  dependsOn: [
    rbac
  ]
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

@description('The name of the ingest function app.')
output ingestFunctionAppName string = ingestApp.outputs.name

@description('The default host name of the ingest function app (events and OTLP are sent here).')
output ingestFunctionAppHostName string = ingestApp.outputs.defaultHostName

@description('The name of the alerts function app.')
output alertsFunctionAppName string = alertsApp.outputs.name

@description('The default host name of the alerts function app.')
output alertsFunctionAppHostName string = alertsApp.outputs.defaultHostName

@description('The name of the realtime function app.')
output realtimeFunctionAppName string = realtimeApp.outputs.name

@description('The default host name of the realtime function app (dashboard at `/dashboard/`).')
output realtimeFunctionAppHostName string = realtimeApp.outputs.defaultHostName

@description('The name of the Event Hubs namespace.')
output eventHubNamespaceName string = eventHubs.outputs.name

@description('The name of the event hub the apps share.')
output eventHubName string = eventHubs.outputs.eventHubName

@description('The host name of the SignalR Service.')
output signalRHostName string = signalR.outputs.hostName

@description('The name of the PostgreSQL server.')
output postgresServerName string = postgres.outputs.name

@description('The fully qualified domain name of the PostgreSQL server.')
output postgresServerFqdn string = postgres.outputs.fullyQualifiedDomainName

@description('The name of the Key Vault that holds the apps\' secrets.')
output keyVaultName string = keyVault.outputs.name

@description('The name of the storage account.')
output storageAccountName string = storage.outputs.name

@description('The Communication Services endpoint the Alerts app sends e-mail through (`Email__Acs__Endpoint`); empty when e-mail is off.')
output communicationServiceEndpoint string = communication.?outputs.endpoint ?? ''

@description('The address e-mail channels are sent from (`Email__From`, `DoNotReply@<guid>.azurecomm.net` on the Azure-managed domain); empty when e-mail is off.')
output emailSenderAddress string = communication.?outputs.senderAddress ?? ''

@description('The client ID of the user-assigned identity the apps run as.')
output identityClientId string = identity.outputs.clientId
