metadata description = 'The diagnostic settings every module attaches to its resources: one shape, one destination (the Log Analytics workspace).'

// API version of Microsoft.Insights/diagnosticSettings. Each such resource carries
// `#disable-next-line use-recent-api-versions // see diagnostics.bicep`: the linter proposes 2016-09-01, the only
// stable version, which has neither category groups (allLogs) nor metric categories (AllMetrics), so it cannot say
// "every log and every metric". 2021-05-01-preview is the newest version there is. The infra tests allow a preview
// API version for this type only (TemplateConventionTests).

@export()
@description('Name of every diagnostic setting; one per resource.')
var diagnosticSettingName = 'to-log-analytics'

@export()
@description('Every log category (the allLogs group) and every metric, to the workspace.')
func allLogsAndMetrics(workspaceId string) object => {
  workspaceId: workspaceId
  logs: [
    {
      categoryGroup: 'allLogs'
      enabled: true
    }
  ]
  metrics: [
    {
      category: 'AllMetrics'
      enabled: true
    }
  ]
}

@export()
@description('Every metric, to the workspace, for a resource that has metrics but no logs of its own.')
func allMetrics(workspaceId string) object => {
  workspaceId: workspaceId
  metrics: [
    {
      category: 'AllMetrics'
      enabled: true
    }
  ]
}
