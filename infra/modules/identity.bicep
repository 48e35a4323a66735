metadata name = 'PulseStream user-assigned identity'
metadata description = 'The one user-assigned managed identity that all three function apps run as.'

@description('Required. Name of the user-assigned managed identity.')
param name string

@description('Required. Azure region of the identity.')
param location string

@description('Optional. Tags applied to the identity.')
param tags { *: string } = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('The name of the identity.')
output name string = identity.name

@description('The resource ID of the identity.')
output resourceId string = identity.id

@description('The client (application) ID of the identity: the value of the `*__clientId` and `AZURE_CLIENT_ID` app settings.')
output clientId string = identity.properties.clientId

@description('The object (principal) ID of the identity, used in role assignments.')
output principalId string = identity.properties.principalId
