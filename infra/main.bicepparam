using 'main.bicep'

// azd compiles this file itself (it prefers main.bicepparam over main.bicep + main.parameters.json) with the azd
// environment's values as environment variables: `azd env set NAME value` before `azd up`. azd does not prompt for
// parameters of a .bicepparam file, so a required one whose variable is not set stops the compile with an error
// that names the variable. AZURE_ENV_NAME, AZURE_LOCATION and AZURE_PRINCIPAL_ID are set by azd.
param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')
param location = readEnvironmentVariable('AZURE_LOCATION')
param principalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')
param alertEscalationContact = readEnvironmentVariable('ALERT_ESCALATION_CONTACT')
param onCallCsm = readEnvironmentVariable('ON_CALL_CSM')
param customEmailDomain = readEnvironmentVariable('CUSTOM_EMAIL_DOMAIN', '')
param dashboardBaseUrl = readEnvironmentVariable('DASHBOARD_BASE_URL', '')
param dashboardEntraClientId = readEnvironmentVariable('DASHBOARD_ENTRA_CLIENT_ID', '')
param unsubscribeBaseUrl = readEnvironmentVariable('UNSUBSCRIBE_BASE_URL', '')
// Unset: the Communication Services limit of the email domain (main.bicep). Set both after raising the quota.
var emailRatePerMinuteSetting = readEnvironmentVariable('EMAIL_RATE_PER_MINUTE', '')
var emailRatePerHourSetting = readEnvironmentVariable('EMAIL_RATE_PER_HOUR', '')
param emailRatePerMinute = empty(emailRatePerMinuteSetting) ? null : int(emailRatePerMinuteSetting)
param emailRatePerHour = empty(emailRatePerHourSetting) ? null : int(emailRatePerHourSetting)
