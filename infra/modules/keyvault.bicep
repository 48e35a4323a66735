metadata name = 'PulseStream Key Vault'
metadata description = 'A Key Vault in RBAC mode holding the secrets the function apps read through Key Vault references: the JWT signing key, the Postgres connection strings, the SignalR connection string and, with e-mail, the Communication Services access key.'

@description('Required. Name of the Key Vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region of the Key Vault.')
param location string

@description('Optional. Tags applied to the Key Vault.')
param tags { *: string } = {}

@description('Required. Key that signs and validates the users\' JWT access tokens (HS256, at least 32 bytes).')
@secure()
param jwtSigningKey string

@description('Required. AES-256 key (base64, 32 bytes) that protects secrets the apps store, such as webhook signing secrets.')
@secure()
param secretProtectionKey string

@description('Required. The operator key of the Alerts app\'s dead-letter routes (header `X-Operator-Key`; at least 32 characters).')
@secure()
@minLength(32)
param operatorKey string

@description('Required. Npgsql connection string of the application database as the application role (subject to row-level security).')
@secure()
param postgresConnectionString string

@description('Required. Npgsql connection string as the schema owner, used only to run migrations.')
@secure()
param postgresMigrationConnectionString string

@description('Required. Password of the application role the migrations create.')
@secure()
param postgresAppPassword string

@description('Required. Name of the SignalR Service (in this resource group) whose primary access key goes into the SignalR connection string.')
param signalRName string

@description('Optional. Name of the Communication Services resource (in this resource group) whose primary access key goes into the `acs-access-key` secret. Empty: no e-mail secret.')
param communicationServiceName string = ''

@description('Optional. Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 7

@description('Optional. Turn on purge protection. Once on it cannot be turned off, and a deleted vault\'s name stays taken for the retention period.')
param enablePurgeProtection bool = false

resource signalR 'Microsoft.SignalRService/signalR@2024-03-01' existing = {
  name: signalRName
}

resource communicationService 'Microsoft.Communication/communicationServices@2026-03-18' existing = if (!empty(communicationServiceName)) {
  name: communicationServiceName
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The service rejects `false`: the property is either true or absent.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource jwtSigningKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'auth-signing-key'
  properties: {
    value: jwtSigningKey
    contentType: 'text/plain'
  }
}

resource operatorKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'operator-key'
  properties: {
    value: operatorKey
    contentType: 'text/plain'
  }
}

resource postgresConnectionSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'postgres-connection'
  properties: {
    value: postgresConnectionString
    contentType: 'text/plain'
  }
}

resource postgresMigrationConnectionSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'postgres-migration-connection'
  properties: {
    value: postgresMigrationConnectionString
    contentType: 'text/plain'
  }
}

resource postgresAppPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'postgres-app-password'
  properties: {
    value: postgresAppPassword
    contentType: 'text/plain'
  }
}

resource signalRConnectionSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'signalr-connection'
  properties: {
    value: 'Endpoint=https://${signalR.properties.hostName};AccessKey=${signalR.listKeys().primaryKey};Version=1.0;'
    contentType: 'text/plain'
  }
}

// The access key the Alerts app signs its ACS e-mail requests with (HMAC-SHA256; Email__Acs__AccessKey).
resource acsAccessKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(communicationServiceName)) {
  parent: vault
  name: 'acs-access-key'
  properties: {
    value: communicationService!.listKeys().primaryKey
    contentType: 'text/plain'
  }
}

@description('The name of the Key Vault.')
output name string = vault.name

resource secretProtectionKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'secret-protection-key'
  properties: {
    value: secretProtectionKey
    contentType: 'text/plain'
  }
}

@description('The resource ID of the Key Vault.')
output resourceId string = vault.id

@description('The vault URI, `https://<name>.vault.azure.net/`.')
output uri string = vault.properties.vaultUri

@description('Versionless URI of the JWT signing key secret, for a Key Vault reference.')
output jwtSigningKeyUri string = jwtSigningKeySecret.properties.secretUri

@description('Versionless URI of the secret-protection key secret, for a Key Vault reference.')
output secretProtectionKeyUri string = secretProtectionKeySecret.properties.secretUri

@description('Versionless URI of the operator key secret, for a Key Vault reference.')
output operatorKeyUri string = operatorKeySecret.properties.secretUri

@description('Versionless URI of the Postgres connection string secret, for a Key Vault reference.')
output postgresConnectionUri string = postgresConnectionSecret.properties.secretUri

@description('Versionless URI of the owner (migration) connection string secret, for a Key Vault reference.')
output postgresMigrationConnectionUri string = postgresMigrationConnectionSecret.properties.secretUri

@description('Versionless URI of the application role password secret, for a Key Vault reference.')
output postgresAppRoleUri string = postgresAppPasswordSecret.properties.secretUri

@description('Versionless URI of the SignalR connection string secret, for a Key Vault reference.')
output signalRConnectionUri string = signalRConnectionSecret.properties.secretUri

@description('Versionless URI of the ACS access key secret, for a Key Vault reference; empty when no Communication Services resource was given.')
output acsAccessKeyUri string = acsAccessKeySecret.?properties.secretUri ?? ''
