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

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
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
    softDeleteRetentionInDays: softDeleteRetentionInDays
    publicNetworkAccess: 'Enabled'
  }
}

@description('Resource ID of the vault, the scope of the Key Vault Secrets User assignment.')
output resourceId string = vault.id

@description('Name of the vault, for az keyvault secret set.')
output name string = vault.name

@description('Vault URI; secret URIs in Key Vault references are built from it.')
output uri string = vault.properties.vaultUri
