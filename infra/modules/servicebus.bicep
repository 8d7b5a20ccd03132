import { allLogsAndMetrics, diagnosticSettingName } from 'diagnostics.bicep'

metadata description = 'Service Bus namespace (Standard, Entra ID only) and every queue the app sends to or is triggered by.'

@description('Required. Name of the Service Bus namespace.')
param name string

@description('Required. Azure region of the namespace.')
param location string

@description('Optional. Tags applied to the namespace.')
param tags object = {}

@description('Optional. How long an undelivered message lives before it expires to the dead-letter queue (ISO 8601).')
param defaultMessageTimeToLive string = 'P14D'

@description('Required. Resource ID of the Log Analytics workspace the diagnostic settings send to.')
param logAnalyticsWorkspaceId string

// One entry per queue in src/CustomerSuccess.Functions/Messaging/QueueNames.cs, with the properties the code relies
// on: ids are derived from what a message is about, so duplicate detection drops resends; handlers retry by
// redelivery, so a poison message stops after maxDeliveryCount; expired messages are kept for inspection.
var queues = [
  {
    name: 'health-recompute'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
  }
  {
    name: 'alerts-watch'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
  }
  {
    name: 'alerts-warning'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
  }
  {
    name: 'alerts-critical'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
  }
  {
    name: 'alerts-opportunity'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
  }
  {
    name: 'lifecycle-send'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
  }
  {
    name: 'lifecycle-send-reserved'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
  }
]

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    // SAS keys cannot be used: senders and the trigger authenticate with the managed identity.
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' = [
  for q in queues: {
    parent: namespace
    name: q.name
    properties: {
      requiresDuplicateDetection: q.requiresDuplicateDetection
      duplicateDetectionHistoryTimeWindow: q.duplicateDetectionHistoryTimeWindow
      maxDeliveryCount: q.maxDeliveryCount
      lockDuration: q.lockDuration
      deadLetteringOnMessageExpiration: q.deadLetteringOnMessageExpiration
      defaultMessageTimeToLive: defaultMessageTimeToLive
      requiresSession: false
      enablePartitioning: false
    }
  }
]

#disable-next-line use-recent-api-versions // see diagnostics.bicep
resource namespaceDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: diagnosticSettingName
  scope: namespace
  properties: allLogsAndMetrics(logAnalyticsWorkspaceId)
}

@description('Resource ID of the namespace, the scope of the Service Bus Data Sender and Receiver assignments.')
output resourceId string = namespace.id

@description('Name of the namespace.')
output name string = namespace.name

@description('Fully qualified namespace host name, for ServiceBusConnection__fullyQualifiedNamespace.')
output fullyQualifiedNamespace string = replace(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')

@description('Names of the queues created.')
output queueNames array = [for (q, i) in queues: queue[i].name]
