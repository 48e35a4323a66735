metadata name = 'PulseStream monitoring'
metadata description = 'A Log Analytics workspace and the workspace-based Application Insights component the function apps report to.'

@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. Azure region of both resources.')
param location string

@description('Optional. Tags applied to both resources.')
param tags { *: string } = {}

@description('Optional. Days the workspace keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Local (instrumentation key) auth stays on: the host authenticates with Entra ID through
    // APPLICATIONINSIGHTS_AUTHENTICATION_STRING, but the worker's own OpenTelemetry exporter sends
    // with the connection string alone.
    DisableLocalAuth: false
  }
}

@description('The name of the Application Insights component.')
output name string = applicationInsights.name

@description('The resource ID of the Application Insights component.')
output resourceId string = applicationInsights.id

@description('The connection string of the Application Insights component (not a secret: it only allows sending telemetry).')
output connectionString string = applicationInsights.properties.ConnectionString

@description('The name of the Log Analytics workspace.')
output logAnalyticsName string = logAnalytics.name

@description('The resource ID of the Log Analytics workspace.')
output logAnalyticsResourceId string = logAnalytics.id
