targetScope = 'subscription'

metadata description = 'CustomerSuccess.Functions: the resource group and everything in it (function app on Flex Consumption, storage, Service Bus, Communication Services Email, Key Vault, monitoring, one managed identity and its roles).'

@description('Required. Name of the azd environment; part of every resource name and the azd-env-name tag.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Required. Azure region for the resource group and its regional resources (Flex Consumption must be available there).')
param location string

@description('Optional. Name of the resource group. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Optional. Object ID of the person deploying (azd sets AZURE_PRINCIPAL_ID); granted Key Vault Secrets Officer to set the secrets. Empty: no assignment.')
param principalId string = ''

@description('Optional. Principal type of principalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Optional. Memory of each function app instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Most instances the function app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Optional. Custom email sending domain (e.g. mail.example.com). Empty: an Azure-managed *.azurecomm.net domain.')
param customEmailDomain string = ''

@description('Optional. Local part of the sender address on a custom domain (an Azure-managed domain always sends as DoNotReply).')
param emailSenderUsername string = 'DoNotReply'

@description('Optional. Where Communication Services stores data at rest.')
param communicationDataLocation string = 'United States'

@description('Optional. Lifecycle emails per minute, all function app instances together (Lifecycle__RatePerMinute). Unset: the Communication Services sending limit of the domain deployed (5 on an Azure-managed domain, 30 on a custom domain). Raise it only with the subscription\'s email quota.')
@minValue(1)
param emailRatePerMinute int?

@description('Optional. Lifecycle emails per hour, all instances together (Lifecycle__RatePerHour). Unset: the Communication Services limit of the domain deployed (10 on an Azure-managed domain, 100 on a custom domain).')
@minValue(1)
param emailRatePerHour int?

@description('Required. Mailbox that receives alerts no on-call CSM picks up (Alerts__EscalationContact).')
param alertEscalationContact string

@description('Required. First CSM of the weekly on-call rota (Alerts__Rota__Members__0); more are added as app settings.')
param onCallCsm string

@description('Optional. Base URL of the dashboard linked from alert emails. Empty: the function app\'s URL.')
param dashboardBaseUrl string = ''

@description('Optional. Application (client) id of the Microsoft Entra app registration CSMs sign in to the pages with (web redirect URI {function app URL}/api/dashboard/signin-oidc, ID tokens enabled). Empty: the function key signs a user in.')
param dashboardEntraClientId string = ''

@description('Optional. Base URL of lifecycle email unsubscribe links. Empty: the function app\'s /api/lifecycle/unsubscribe.')
param unsubscribeBaseUrl string = ''

var abbrs = loadJsonContent('abbreviations.json')
// Unique per subscription, environment and region, so names do not collide across environments.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'customer-success-functions'
}
var serviceName = 'api'
// Every name is known before the deployment starts and is handed to the module that creates the resource and to
// rbac.bicep, which looks the resources up. Passing a module's output instead would make the role assignments'
// names runtime values, and What-If could no longer predict them (linter rule what-if-short-circuiting).
var names = {
  resourceGroup: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  identity: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
  logAnalytics: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
  applicationInsights: '${abbrs.insightsComponents}${resourceToken}'
  storage: '${abbrs.storageStorageAccounts}${resourceToken}'
  serviceBus: '${abbrs.serviceBusNamespaces}${resourceToken}'
  keyVault: '${abbrs.keyVaultVaults}${resourceToken}'
  communicationService: '${abbrs.communicationCommunicationServices}${resourceToken}'
  emailService: '${abbrs.communicationEmailServices}${resourceToken}'
  plan: '${abbrs.webServerFarms}${resourceToken}'
  functionApp: '${abbrs.webSitesFunctions}${serviceName}-${resourceToken}'
  actionGroup: '${abbrs.insightsActionGroups}escalation-${resourceToken}'
  alertRules: '${abbrs.insightsAlertRules}${resourceToken}'
}
// Communication Services' initial email sending limits, per subscription, by domain kind ("Service limits for Azure
// Communication Services", Email). The app holds its whole fleet to them through one shared quota.
var emailSendingLimits = empty(customEmailDomain) ? { perMinute: 5, perHour: 10 } : { perMinute: 30, perHour: 100 }
var deploymentContainerName = 'app-package-${take(names.functionApp, 32)}-${take(resourceToken, 7)}'
// Key Vault secret names the app settings reference; set them after deployment (docs/deploy.md).
var keyVaultItemNames = {
  stripe: 'stripe-webhook-signing-secret'
  segment: 'segment-webhook-shared-secret'
  zendesk: 'zendesk-webhook-signing-secret'
  unsubscribe: 'lifecycle-unsubscribe-signing-key'
}

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: names.serviceBus
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  scope: rg
  params: {
    communicationServiceName: names.communicationService
    emailServiceName: names.emailService
    tags: tags
    dataLocation: communicationDataLocation
    customDomainName: customEmailDomain
    senderUsername: emailSenderUsername
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    identityName: names.identity
    storageAccountName: names.storage
    serviceBusNamespaceName: names.serviceBus
    keyVaultName: names.keyVault
    applicationInsightsName: names.applicationInsights
    communicationServiceName: names.communicationService
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
  // rbac.bicep looks these resources up by name, so nothing else orders it after them.
  dependsOn: [
    identity
    monitoring
    storage
    serviceBus
    keyVault
    communication
  ]
}

// The signals an on-call engineer acts on, to the escalation contact, and one workbook with all of them.
module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    actionGroupName: names.actionGroup
    namePrefix: names.alertRules
    location: location
    tags: tags
    escalationContact: alertEscalationContact
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    serviceBusNamespaceId: serviceBus.outputs.resourceId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    serviceName: serviceName
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    applicationInsightsName: names.applicationInsights
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    keyVaultUri: keyVault.outputs.uri
    keyVaultReferenceNames: keyVaultItemNames
    emailEndpoint: communication.outputs.endpoint
    emailSenderAddress: communication.outputs.senderAddress
    alertEscalationContact: alertEscalationContact
    onCallCsm: onCallCsm
    dashboardBaseUrl: dashboardBaseUrl
    dashboardEntraClientId: dashboardEntraClientId
    unsubscribeBaseUrl: unsubscribeBaseUrl
    lifecycleRatePerMinute: emailRatePerMinute ?? emailSendingLimits.perMinute
    lifecycleRatePerHour: emailRatePerHour ?? emailSendingLimits.perHour
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
  // The identity must be able to read the deployment container and Key Vault before the app first starts.
  dependsOn: [
    rbac
  ]
}

@description('Azure region everything was deployed to (azd reads it back).')
output AZURE_LOCATION string = location

@description('Tenant of the subscription.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Name of the resource group.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Name of the function app (zip deploy target).')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Base URL of the function app; GET <url>/api/healthz answers when it runs.')
output FUNCTION_APP_URL string = functionApp.outputs.url

@description('Paste into Stripe Dashboard > Developers > Webhooks > Add endpoint.')
output STRIPE_WEBHOOK_URL string = '${functionApp.outputs.url}/api/webhooks/stripe'

@description('Paste into Segment > Connections > Destinations > Webhooks (Actions) as the endpoint URL.')
output SEGMENT_WEBHOOK_URL string = '${functionApp.outputs.url}/api/webhooks/segment'

@description('Paste into Zendesk Admin Center > Apps and integrations > Webhooks as the endpoint URL.')
output ZENDESK_WEBHOOK_URL string = '${functionApp.outputs.url}/api/webhooks/zendesk'

@description('Address lifecycle and alert email is sent from.')
output EMAIL_SENDER_ADDRESS string = communication.outputs.senderAddress

@description('Name of the Key Vault to set the webhook secrets and unsubscribe key in.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('Names of the Key Vault items to set after deployment: Stripe signing secret, Segment shared secret, Zendesk signing secret, unsubscribe signing key.')
output KEY_VAULT_ITEMS object = keyVaultItemNames

@description('Name of the Service Bus namespace (queues and dead letters).')
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.name

@description('Name of the Application Insights component to check telemetry in.')
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName

@description('DNS records to create for a custom email domain before it can send (empty for an Azure-managed domain).')
output EMAIL_DOMAIN_VERIFICATION_RECORDS object = communication.outputs.domainVerificationRecords
