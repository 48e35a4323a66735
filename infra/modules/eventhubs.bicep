metadata name = 'PulseStream Event Hubs'
metadata description = 'An Event Hubs namespace (keyless, TLS 1.2) with one event hub and its consumer groups.'

@description('Required. Name of the Event Hubs namespace.')
@minLength(6)
@maxLength(50)
param name string

@description('Required. Azure region of the namespace.')
param location string

@description('Optional. Tags applied to the namespace.')
param tags { *: string } = {}

@description('Required. Name of the event hub.')
param eventHubName string

@description('Required. Consumer groups to create on the event hub, one per consuming app.')
param consumerGroups string[]

@description('Optional. Partitions of the event hub; all of a tenant\'s events go to one partition, so this bounds consumer parallelism. Fixed once created on the Standard tier.')
@minValue(1)
@maxValue(32)
param partitionCount int = 8

@description('Optional. Days events are retained (Standard tier: at most 7).')
@minValue(1)
@maxValue(7)
param messageRetentionInDays int = 1

@description('Optional. Namespace SKU.')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Optional. Throughput units (Standard) or processing units (Premium).')
@minValue(1)
@maxValue(40)
param skuCapacity int = 1

@description('Optional. Let a Standard namespace raise its throughput units up to `maximumThroughputUnits` under load.')
param autoInflate bool = true

@description('Optional. Upper bound for auto-inflate.')
@minValue(1)
@maxValue(40)
param maximumThroughputUnits int = 4

var autoInflateOn = skuName == 'Standard' && autoInflate

resource namespace 'Microsoft.EventHub/namespaces@2026-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: skuCapacity
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    isAutoInflateEnabled: autoInflateOn
    maximumThroughputUnits: autoInflateOn ? maximumThroughputUnits : 0
  }
}

resource eventHub 'Microsoft.EventHub/namespaces/eventhubs@2026-01-01' = {
  parent: namespace
  name: eventHubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: messageRetentionInDays
  }
}

resource consumerGroupResources 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2026-01-01' = [
  for consumerGroup in consumerGroups: {
    parent: eventHub
    name: consumerGroup
  }
]

@description('The name of the Event Hubs namespace.')
output name string = namespace.name

@description('The resource ID of the Event Hubs namespace.')
output resourceId string = namespace.id

@description('The name of the event hub.')
output eventHubName string = eventHub.name

@description('The resource ID of the event hub.')
output eventHubResourceId string = eventHub.id

@description('The fully qualified namespace, `<name>.servicebus.windows.net`, for `EventHubConnection__fullyQualifiedNamespace`.')
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]
