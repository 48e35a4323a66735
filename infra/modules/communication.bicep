metadata name = 'PulseStream e-mail (Azure Communication Services)'
metadata description = 'An Email Communication Service with an Azure-managed domain, linked to a Communication Services resource: the Alerts app sends e-mail channels through its REST API with the resource\'s access key.'

@description('Required. Name of the Email Communication Service.')
@minLength(1)
@maxLength(63)
param emailServiceName string

@description('Required. Name of the Communication Services resource (it becomes the `<name>.communication.azure.com` endpoint, so it must be globally unique).')
@minLength(1)
@maxLength(63)
param communicationServiceName string

@description('Optional. Tags applied to both resources and the domain.')
param tags { *: string } = {}

@description('Optional. Geography where both resources store their data at rest (for example `Europe`, `United States`, `UK`, `Switzerland`, `Germany`, `France`, `Norway`, `Asia Pacific`, `Australia`, `Japan`, `Korea`, `India`, `Canada`, `Brazil`, `Africa`, `UAE`). Fixed once created, and both must use the same one to be linked.')
param dataLocation string = 'Europe'

// Communication resources are global: their region is `global`, and only the data location varies.
var globalLocation = 'global'

resource emailService 'Microsoft.Communication/emailServices@2026-03-18' = {
  name: emailServiceName
  location: globalLocation
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

// The Azure-managed domain (`<guid>.azurecomm.net`) needs no DNS records and comes with the
// `DoNotReply` sender; a custom domain replaces it (infra/README.md, docs/OPERATIONS.md).
resource managedDomain 'Microsoft.Communication/emailServices/domains@2026-03-18' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: globalLocation
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    // Alert e-mails carry links to the dashboard: tracking would rewrite them and log who opened what.
    userEngagementTracking: 'Disabled'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2026-03-18' = {
  name: communicationServiceName
  location: globalLocation
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      managedDomain.id
    ]
  }
}

@description('The name of the Communication Services resource (its access key goes into Key Vault).')
output communicationServiceName string = communicationService.name

@description('The Communication Services endpoint, `https://<name>.communication.azure.com`: the value of `Email__Acs__Endpoint`.')
output endpoint string = 'https://${communicationService.properties.hostName}'

@description('The name of the Email Communication Service.')
output emailServiceName string = emailService.name

@description('The resource ID of the linked Azure-managed domain.')
output domainResourceId string = managedDomain.id

@description('The sender domain of the Azure-managed domain, `<guid>.azurecomm.net`.')
output senderDomain string = managedDomain.properties.mailFromSenderDomain

@description('The sender address the Alerts app sends from, `DoNotReply@<senderDomain>`: the value of `Email__From`.')
output senderAddress string = 'DoNotReply@${managedDomain.properties.mailFromSenderDomain}'
