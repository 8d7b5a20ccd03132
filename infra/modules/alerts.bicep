metadata description = 'What tells the escalation contact that the app needs a person: an action group, Azure Monitor alert rules on the signals that matter (dead letters, applier lag, webhook 5xx, a missed recompute, email throttling) and a workbook that shows them on one page.'

@description('Required. Name of the action group that emails the escalation contact.')
param actionGroupName string

@description('Required. Name prefix of the alert rules; each rule appends what it watches (the workbook is named by a GUID, as Azure requires).')
param namePrefix string

@description('Required. Azure region of the log alert rules and the workbook (the action group and metric alerts are global).')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Required. Mailbox the action group emails (the escalation contact, Alerts__EscalationContact).')
param escalationContact string

@description('Required. Resource ID of the Application Insights component the app exports its metrics and requests to.')
param applicationInsightsId string

@description('Required. Resource ID of the Service Bus namespace whose queues may dead-letter messages.')
param serviceBusNamespaceId string

// The app's meter (src/.../Telemetry/AppMetrics.cs), as the Azure Monitor exporter writes it to customMetrics.
var metrics = {
  applierLag: 'customer_success.webhook.applier.lag'
  applierBacklog: 'customer_success.webhook.applier.backlog'
  quarantined: 'customer_success.webhook.deliveries.quarantined'
  webhookEvents: 'customer_success.webhook.events'
  recomputeDuration: 'customer_success.health.recompute.duration'
  accountsScored: 'customer_success.health.accounts.scored'
  emailsThrottled: 'customer_success.lifecycle.emails.throttled'
  quotaUtilization: 'customer_success.lifecycle.quota.utilization'
  alertsRaised: 'customer_success.alerts.raised'
  slaBreaches: 'customer_success.alerts.sla.breaches'
}

// Webhook requests as the app's ASP.NET Core instrumentation records them: the three provider routes. Traces are
// sampled (the distro's rate limit), and each kept request stands for itemCount requests: sum it, never count rows.
var webhookRequests = 'requests | where url has "/api/webhooks/"'

// Each log alert: a query over the last window whose one row carries the measure, compared with the threshold.
var logAlerts = [
  {
    key: 'applier-lag'
    displayName: 'Webhook applier lag above 5 minutes'
    description: 'An acknowledged webhook delivery has waited more than 5 minutes to be applied to its account (customer_success.webhook.applier.lag). The applier is stuck or far behind: see the README, Operating.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT5M'
    query: 'customMetrics | where name == "${metrics.applierLag}" | summarize lagSeconds = max(valueMax) | extend lagSeconds = coalesce(lagSeconds, 0.0)'
    measure: 'lagSeconds'
    operator: 'GreaterThan'
    threshold: 300
  }
  {
    key: 'webhook-5xx'
    displayName: 'Webhook 5xx above 1% over 5 minutes'
    description: 'More than 1% of the webhook requests in 5 minutes answered 5xx: providers retry, but storage or the app is failing.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT5M'
    query: '${webhookRequests} | summarize total = sum(itemCount), failed = sumif(itemCount, toint(resultCode) >= 500) | extend failedPercent = iff(total == 0, 0.0, 100.0 * failed / total)'
    measure: 'failedPercent'
    operator: 'GreaterThan'
    threshold: 1
  }
  {
    key: 'recompute-missed'
    displayName: 'Health recompute missed'
    description: 'No recompute shard finished in the last 2 hours (customer_success.health.recompute.duration); the hourly recompute did not run or did not finish, and health scores and alerts are stale.'
    severity: 1
    frequency: 'PT1H'
    window: 'PT2H'
    query: 'customMetrics | where name == "${metrics.recomputeDuration}" | summarize shards = count()'
    measure: 'shards'
    operator: 'LessThan'
    threshold: 1
  }
  {
    key: 'email-throttled'
    displayName: 'Email provider throttling'
    description: 'Communication Services answered 429 to lifecycle emails in the last 15 minutes (customer_success.lifecycle.emails.throttled): the sending limit is lower than Lifecycle__RatePerMinute/RatePerHour assume.'
    severity: 2
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'customMetrics | where name == "${metrics.emailsThrottled}" | summarize throttled = sum(valueSum) | extend throttled = coalesce(throttled, 0.0)'
    measure: 'throttled'
    operator: 'GreaterThan'
    threshold: 0
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    enabled: true
    groupShortName: 'cs-escalate'
    emailReceivers: [
      {
        name: 'escalation-contact'
        emailAddress: escalationContact
        useCommonAlertSchema: true
      }
    ]
  }
}

// The broker's own count: whatever the host dead-letters after a queue's max delivery count.
resource deadLetterAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: '${namePrefix}-dead-letters'
  location: 'global'
  tags: tags
  properties: {
    description: 'A Service Bus queue holds dead-lettered messages (DeadletteredMessages by queue): list and re-drive them with /api/admin/deadletters.'
    severity: 1
    enabled: true
    scopes: [
      serviceBusNamespaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

resource logAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for rule in logAlerts: {
    name: '${namePrefix}-${rule.key}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      scopes: [
        applicationInsightsId
      ]
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Maximum'
            metricMeasureColumn: rule.measure
            operator: rule.operator
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

// One page: each tile a query over customMetrics or requests, over the time range the reader picks.
var workbookTiles = [
  {
    title: 'Applier lag (s) and backlog'
    query: 'customMetrics | where name in ("${metrics.applierLag}", "${metrics.applierBacklog}") | summarize value = max(valueMax) by name, bin(timestamp, 5m) | render timechart'
  }
  {
    title: 'Webhook events by provider and outcome'
    query: 'customMetrics | where name == "${metrics.webhookEvents}" | extend provider = tostring(customDimensions.provider), outcome = tostring(customDimensions.outcome) | summarize events = sum(valueSum) by provider, outcome, bin(timestamp, 15m) | render timechart'
  }
  {
    title: 'Webhook 5xx (%)'
    query: '${webhookRequests} | summarize failedPercent = 100.0 * sumif(itemCount, toint(resultCode) >= 500) / sum(itemCount) by bin(timestamp, 5m) | render timechart'
  }
  {
    title: 'Dead-lettered deliveries (webhook quarantine) and Service Bus dead letters'
    query: 'customMetrics | where name == "${metrics.quarantined}" | summarize quarantined = sum(valueSum) by bin(timestamp, 1h) | render columnchart'
  }
  {
    title: 'Recompute: shard duration (s) and accounts scored'
    query: 'customMetrics | where name in ("${metrics.recomputeDuration}", "${metrics.accountsScored}") | summarize value = sum(valueSum) by name, bin(timestamp, 1h) | render timechart'
  }
  {
    title: 'Alerts raised and SLA breaches by tier'
    query: 'customMetrics | where name in ("${metrics.alertsRaised}", "${metrics.slaBreaches}") | extend tier = tostring(customDimensions.tier) | summarize alerts = sum(valueSum) by name, tier, bin(timestamp, 1h) | render columnchart'
  }
  {
    title: 'Lifecycle emails throttled and quota used (share of the limit)'
    query: 'customMetrics | where name in ("${metrics.emailsThrottled}", "${metrics.quotaUtilization}") | extend window = tostring(customDimensions.window) | summarize value = max(valueMax) by name, window, bin(timestamp, 15m) | render timechart'
  }
]

var workbookItems = [
  for (tile, i) in workbookTiles: {
    type: 3
    name: 'tile-${i}'
    content: {
      version: 'KqlItem/1.0'
      title: tile.title
      query: tile.query
      size: 0
      queryType: 0
      resourceType: 'microsoft.insights/components'
      timeContext: {
        durationMs: 86400000
      }
    }
    customWidth: '50'
  }
]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, namePrefix, 'operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Customer Success Functions: operations'
    category: 'workbook'
    sourceId: applicationInsightsId
    version: 'Notebook/1.0'
    serializedData: string({
      version: 'Notebook/1.0'
      items: workbookItems
      fallbackResourceIds: [
        applicationInsightsId
      ]
    })
  }
}

@description('Resource ID of the action group that emails the escalation contact.')
output actionGroupId string = actionGroup.id

@description('Resource ID of the operations workbook.')
output workbookId string = workbook.id
