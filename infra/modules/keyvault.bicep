import { allLogsAndMetrics, diagnosticSettingName } from 'diagnostics.bicep'

metadata description = 'Key Vault in RBAC mode holding the webhook signing secrets and the unsubscribe signing key. The function app reads them through Key Vault references; the secrets themselves are set after deployment (docs/deploy.md), never in this repository.'

@description('Required. Name of the Key Vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region of the vault.')
param location string

@description('Optional. Tags applied to the vault.')
param tags object = {}

@description('Optional. Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 7

@description('Required. Resource ID of the Log Analytics workspace the diagnostic settings send to.')
param logAnalyticsWorkspaceId string

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Access by Azure RBAC role assignments only; no access policies.
    enableRbacAuthorization: true
    enableSoftDelete: true
    // A deleted vault or secret cannot be purged before the retention ends, so a webhook secret deleted by mistake
    // (or by an attacker) can always be recovered. The name stays taken until then: see docs/deploy.md, Tearing down.
    enablePurgeProtection: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    publicNetworkAccess: 'Enabled'
  }
}

#disable-next-line use-recent-api-versions // see diagnostics.bicep
resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: diagnosticSettingName
  scope: vault
  properties: allLogsAndMetrics(logAnalyticsWorkspaceId)
}

@description('Resource ID of the vault, the scope of the Key Vault Secrets User assignment.')
output resourceId string = vault.id

@description('Name of the vault, for az keyvault secret set.')
output name string = vault.name

@description('Vault URI; secret URIs in Key Vault references are built from it.')
output uri string = vault.properties.vaultUri
