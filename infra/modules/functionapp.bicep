import { allLogsAndMetrics, diagnosticSettingName } from 'diagnostics.bicep'

metadata description = 'Function app on the Flex Consumption plan (Linux) running the custom handler, with identity-based connections and Key Vault references for every secret.'

@description('Required. Name of the function app.')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Azure region of the plan and the app.')
param location string

@description('Optional. Tags applied to the plan and the app. The app also gets azd-service-name.')
param tags object = {}

@description('Required. Service name in azure.yaml; azd finds the app by this tag.')
param serviceName string

@description('Required. Resource ID of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Required. Client ID of the user-assigned identity.')
param identityClientId string

@description('Required. Name of the storage account (AzureWebJobsStorage and the app tables).')
param storageAccountName string

@description('Required. Blob endpoint of the storage account.')
param storageBlobEndpoint string

@description('Required. Table endpoint of the storage account.')
param storageTableEndpoint string

@description('Required. URL of the blob container the package is deployed to.')
param deploymentContainerUrl string

@description('Required. Fully qualified Service Bus namespace (name.servicebus.windows.net).')
param serviceBusFullyQualifiedNamespace string

@description('Required. Name of the Application Insights component the app and the host send telemetry to.')
param applicationInsightsName string

@description('Required. Resource ID of the Log Analytics workspace the diagnostic settings send to.')
param logAnalyticsWorkspaceId string

@description('Required. Key Vault URI (https://name.vault.azure.net/).')
param keyVaultUri string

@description('Required. Names of the Key Vault secrets the app settings reference: stripe, segment, zendesk, unsubscribe.')
param keyVaultReferenceNames object

@description('Required. Communication Services endpoint for the Email REST call.')
param emailEndpoint string

@description('Required. Sender address of outgoing email.')
param emailSenderAddress string

@description('Required. Mailbox that receives alerts no on-call CSM picks up.')
param alertEscalationContact string

@description('Required. First CSM of the weekly on-call rota (CS operations add more as Alerts__Rota__Members__1, __2 ...).')
param onCallCsm string

@description('Optional. Base URL of the dashboard linked from alert emails. Empty: this app\'s own URL.')
param dashboardBaseUrl string = ''

@description('Optional. Application (client) id of the Microsoft Entra app registration CSMs sign in to the pages with. Empty: the function key signs a user in.')
param dashboardEntraClientId string = ''

@description('Optional. Base URL of the unsubscribe link in lifecycle emails. Empty: this app\'s /api/lifecycle/unsubscribe.')
param unsubscribeBaseUrl string = ''

@description('Required. Lifecycle emails per minute, every instance together (Lifecycle__RatePerMinute): at most the Communication Services limit.')
@minValue(1)
param lifecycleRatePerMinute int

@description('Required. Lifecycle emails per hour, every instance together (Lifecycle__RatePerHour): at most the Communication Services limit.')
@minValue(1)
param lifecycleRatePerHour int

@description('Optional. Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Most instances the app scales out to. The email quota does not depend on it: the instances share one quota in Table storage.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Optional. Runtime version that goes with the runtime name "custom" (the custom handler stack).')
param runtimeVersion string = '1.0'

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve as the user-assigned identity (it holds Key Vault Secrets User).
    keyVaultReferenceIdentity: identityResourceId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // Flex Consumption takes FUNCTIONS_WORKER_RUNTIME from here and rejects it as an app setting: custom handler.
      runtime: {
        name: 'custom'
        version: runtimeVersion
      }
    }
  }
}

// The connection string is read here rather than passed as a module output, so no template outputs it.
resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The plan has no diagnostic setting: a Flex Consumption plan runs no instances of its own to measure; execution
// and instance metrics are the function app's, sent by the setting below.
#disable-next-line use-recent-api-versions // see diagnostics.bicep
resource functionAppDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: diagnosticSettingName
  scope: functionApp
  properties: allLogsAndMetrics(logAnalyticsWorkspaceId)
}

var appUrl = 'https://${functionApp.properties.defaultHostName}'

// Sign-in to the pages with a work account of this tenant (OpenID Connect in the app: App Service Authentication is
// not supported on Flex Consumption). Only when an app registration is named.
var entraSignInSettings = empty(dashboardEntraClientId) ? {} : {
  Dashboard__Entra__TenantId: tenant().tenantId
  Dashboard__Entra__ClientId: dashboardEntraClientId
}

// Every setting the app or the host reads. The infra tests compare this object with what the code reads and with
// local.settings.sample.json, so add a setting in all three places.
resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(entraSignInSettings, {
    // Host storage and the app tables: identity-based, no keys.
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
    AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId

    // Service Bus triggers (connection name in function.json) and the app's REST publisher.
    ServiceBusConnection__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
    ServiceBusConnection__credential: 'managedidentity'
    ServiceBusConnection__clientId: identityClientId

    // Telemetry with Entra ID auth (local auth is disabled on the component).
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

    // DefaultAzureCredential / ManagedIdentityCredential in the app pick the user-assigned identity.
    AZURE_CLIENT_ID: identityClientId

    // Webhook signing secrets: Key Vault references, resolved by the platform.
    Webhooks__Stripe__SigningSecrets__0: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultReferenceNames.stripe})'
    Webhooks__Segment__SharedSecrets__0: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultReferenceNames.segment})'
    Webhooks__Zendesk__SigningSecrets__0: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultReferenceNames.zendesk})'

    // Email through Communication Services with Entra ID.
    Email__Endpoint: emailEndpoint
    Email__SenderAddress: emailSenderAddress

    // Lifecycle unsubscribe links: signed with a key from Key Vault.
    Lifecycle__UnsubscribeSigningKey: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultReferenceNames.unsubscribe})'
    Lifecycle__UnsubscribeBaseUrl: empty(unsubscribeBaseUrl) ? '${appUrl}/api/lifecycle/unsubscribe' : unsubscribeBaseUrl

    // Lifecycle send quota for the whole fleet (one row in the app tables, shared by every instance).
    Lifecycle__RatePerMinute: string(lifecycleRatePerMinute)
    Lifecycle__RatePerHour: string(lifecycleRatePerHour)

    // Alert emails: the dashboard they link to and where unclaimed alerts escalate.
    Alerts__DashboardBaseUrl: empty(dashboardBaseUrl) ? appUrl : dashboardBaseUrl
    Alerts__EscalationContact: alertEscalationContact
    Alerts__Rota__Members__0: onCallCsm
  })
}

@description('Name of the function app.')
output name string = functionApp.name

@description('Base URL of the function app.')
output url string = appUrl

@description('Default host name of the function app.')
output defaultHostName string = functionApp.properties.defaultHostName
