metadata name = 'PulseStream PostgreSQL'
metadata description = 'Azure Database for PostgreSQL Flexible Server 16 with the TimescaleDB extension allowed and preloaded, the application database, and a firewall rule for Azure services.'

@description('Required. Name of the server.')
@minLength(3)
@maxLength(63)
param name string

@description('Required. Azure region of the server.')
param location string

@description('Optional. Tags applied to the server.')
param tags { *: string } = {}

@description('Required. Administrator login name.')
@secure()
param administratorLogin string

@description('Required. Administrator login password.')
@secure()
param administratorLoginPassword string

@description('Optional. Name of the application database.')
param databaseName string = 'pulsestream'

@description('Optional. PostgreSQL major version (TimescaleDB is offered up to 16).')
@allowed([
  '14'
  '15'
  '16'
])
param version string = '16'

@description('Optional. Compute SKU name.')
param skuName string = 'Standard_B1ms'

@description('Optional. Compute tier of the SKU.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string = 'Burstable'

@description('Optional. Storage size in GiB.')
@minValue(32)
@maxValue(16384)
param storageSizeGB int = 32

@description('Optional. Days of point-in-time backups.')
@minValue(7)
@maxValue(35)
param backupRetentionDays int = 7

@description('Optional. Extensions allowed on the server (`azure.extensions`, comma-separated, upper case).')
param allowedExtensions string = 'TIMESCALEDB'

@description('Optional. Libraries preloaded at server start (`shared_preload_libraries`). Takes effect after a server restart.')
param sharedPreloadLibraries string = 'timescaledb,pg_stat_statements'

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorLoginPassword
    authConfig: {
      activeDirectoryAuth: 'Disabled'
      passwordAuth: 'Enabled'
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

// The server accepts one change at a time, so the child resources below are chained.
resource extensionsAllowList 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2025-08-01' = {
  parent: server
  name: 'azure.extensions'
  properties: {
    value: allowedExtensions
    source: 'user-override'
  }
}

resource preloadLibraries 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2025-08-01' = {
  parent: server
  name: 'shared_preload_libraries'
  properties: {
    value: sharedPreloadLibraries
    source: 'user-override'
  }
  dependsOn: [
    extensionsAllowList
  ]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2025-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [
    preloadLibraries
  ]
}

// 0.0.0.0-0.0.0.0 is Azure's convention for "allow connections from Azure services" (the
// Flex Consumption apps have no fixed outbound addresses without a virtual network).
resource allowAzureServices 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2025-08-01' = {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
  dependsOn: [
    database
  ]
}

@description('The name of the server.')
output name string = server.name

@description('The resource ID of the server.')
output resourceId string = server.id

@description('The fully qualified domain name of the server.')
output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName

@description('The name of the application database.')
output databaseName string = database.name
