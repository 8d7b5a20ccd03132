import { allLogsAndMetrics, allMetrics, diagnosticSettingName } from 'diagnostics.bicep'

metadata description = 'Storage account for the app tables, the Functions host (timer leases, keys) and the Flex Consumption deployment container. Shared-key access is off: every caller uses Entra ID.'

@description('Required. Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region of the storage account.')
param location string

@description('Optional. Tags applied to the storage account.')
param tags object = {}

@description('Required. Name of the blob container Flex Consumption deploys the app package from.')
param deploymentContainerName string

@description('Required. Resource ID of the Log Analytics workspace the diagnostic settings send to.')
param logAnalyticsWorkspaceId string

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-09-01' = {
  parent: storage
  name: 'default'
}

// Declared so its reads and writes (the app tables) can be logged.
resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2026-09-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-09-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// The account itself has metrics only; its logs belong to each service below.
#disable-next-line use-recent-api-versions // see diagnostics.bicep
resource storageDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: diagnosticSettingName
  scope: storage
  properties: allMetrics(logAnalyticsWorkspaceId)
}

#disable-next-line use-recent-api-versions // see diagnostics.bicep
resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: diagnosticSettingName
  scope: blobService
  properties: allLogsAndMetrics(logAnalyticsWorkspaceId)
}

#disable-next-line use-recent-api-versions // see diagnostics.bicep
resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: diagnosticSettingName
  scope: tableService
  properties: allLogsAndMetrics(logAnalyticsWorkspaceId)
}

@description('Resource ID of the storage account, the scope of the storage role assignments.')
output resourceId string = storage.id

@description('Name of the storage account, for AzureWebJobsStorage__accountName.')
output name string = storage.name

@description('Blob endpoint, for AzureWebJobsStorage__blobServiceUri.')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

@description('Table endpoint, for AzureWebJobsStorage__tableServiceUri (the app tables use the same connection).')
output tableEndpoint string = storage.properties.primaryEndpoints.table

@description('URL of the deployment container the function app reads its package from.')
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
