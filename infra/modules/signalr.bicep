metadata name = 'PulseStream SignalR Service'
metadata description = 'An Azure SignalR Service in Serverless mode: the apps publish through its REST API and sign client tokens with its access key.'

@description('Required. Name of the SignalR Service.')
@minLength(3)
@maxLength(63)
param name string

@description('Required. Azure region of the service.')
param location string

@description('Optional. Tags applied to the service.')
param tags { *: string } = {}

@description('Optional. SKU of the service.')
@allowed([
  'Free_F1'
  'Standard_S1'
  'Premium_P1'
])
param skuName string = 'Standard_S1'

@description('Optional. Units of the service (1,000 concurrent connections each on Standard).')
@minValue(1)
@maxValue(100)
param capacity int = 1

@description('Optional. Origins browsers may connect from. Clients are authenticated by access tokens, so `*` is acceptable.')
param allowedOrigins string[] = [
  '*'
]

@description('Optional. Where the service reports client connections and their closes (serverless upstream; it fills in `{hub}`, `{category}` and `{event}`). The realtime app checks there that the connecting person is still a member and closes the connection if not, and counts open dashboards. Empty: no upstream.')
param connectionUpstreamUrlTemplate string = ''

resource signalR 'Microsoft.SignalRService/signalR@2024-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'SignalR'
  sku: {
    name: skuName
    tier: split(skuName, '_')[0]
    capacity: capacity
  }
  properties: {
    features: [
      {
        flag: 'ServiceMode'
        value: 'Serverless'
      }
      {
        flag: 'EnableConnectivityLogs'
        value: 'True'
      }
      {
        flag: 'EnableMessagingLogs'
        value: 'False'
      }
    ]
    cors: {
      allowedOrigins: allowedOrigins
    }
    // Only the pulse hub's connection events (connected: the membership check; both: the connections count): the
    // upstream authenticates them by the access key's signature of the connection id (X-ASRS-Signature), so no
    // upstream auth is configured.
    upstream: {
      templates: empty(connectionUpstreamUrlTemplate)
        ? []
        : [
            {
              urlTemplate: connectionUpstreamUrlTemplate
              hubPattern: 'pulse'
              categoryPattern: 'connections'
              eventPattern: 'connected,disconnected'
            }
          ]
    }
    tls: {
      clientCertEnabled: false
    }
    publicNetworkAccess: 'Enabled'
    // Access keys stay on: the apps sign client and REST tokens with the key (HS256), as the
    // design prescribes; the key only ever leaves through the Key Vault secret.
    disableLocalAuth: false
    disableAadAuth: false
  }
}

@description('The name of the SignalR Service.')
output name string = signalR.name

@description('The resource ID of the SignalR Service.')
output resourceId string = signalR.id

@description('The host name of the service, `<name>.service.signalr.net`.')
output hostName string = signalR.properties.hostName
