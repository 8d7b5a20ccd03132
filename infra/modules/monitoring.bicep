import { allLogsAndMetrics, diagnosticSettingName } from 'diagnostics.bicep'

metadata description = 'Log Analytics workspace, the one place every resource sends its diagnostics, and workspace-based Application Insights that accepts only Entra ID-authenticated telemetry.'

@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. Azure region of both resources.')
param location string

@description('Optional. Tags applied to both resources.')
param tags object = {}

@description('Optional. Days the workspace keeps logs.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

// The workspace's own audit trail (who queried what) goes into the workspace too.
#disable-next-line use-recent-api-versions // see diagnostics.bicep
resource workspaceDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: diagnosticSettingName
  scope: workspace
  properties: allLogsAndMetrics(workspace.id)
}

// Workspace-based: everything the component collects is stored in the workspace above, so it needs no
// diagnostic setting of its own.
resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Instrumentation keys alone cannot write telemetry: the app authenticates with its managed identity
    // (APPLICATIONINSIGHTS_AUTHENTICATION_STRING) and needs Monitoring Metrics Publisher.
    DisableLocalAuth: true
  }
}

@description('Resource ID of the Application Insights component, the scope of the Monitoring Metrics Publisher assignment.')
output applicationInsightsId string = applicationInsights.id

@description('Name of the Application Insights component; the function app reads its connection string from it.')
output applicationInsightsName string = applicationInsights.name

@description('Resource ID of the Log Analytics workspace every diagnostic setting sends to.')
output logAnalyticsWorkspaceId string = workspace.id
