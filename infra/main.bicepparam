using 'main.bicep'

// Secrets come from the environment of whoever deploys; none is ever written here.
//   export PULSE_PG_ADMIN_LOGIN=pulseadmin
//   export PULSE_PG_ADMIN_PASSWORD='<a strong password>'
//   export PULSE_JWT_SIGNING_KEY="$(openssl rand -base64 48)"
//   export PULSE_SECRET_PROTECTION_KEY="$(openssl rand -base64 32)"
//   export PULSE_PG_APP_PASSWORD="$(openssl rand -hex 24)"
//   export PULSE_OPERATOR_KEY="$(openssl rand -base64 32)"

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'dev')

param postgresAdministratorLogin = readEnvironmentVariable('PULSE_PG_ADMIN_LOGIN', 'pulseadmin')

param postgresAdministratorPassword = readEnvironmentVariable('PULSE_PG_ADMIN_PASSWORD', '')

param jwtSigningKey = readEnvironmentVariable('PULSE_JWT_SIGNING_KEY', '')

param secretProtectionKey = readEnvironmentVariable('PULSE_SECRET_PROTECTION_KEY', '')

param postgresAppPassword = readEnvironmentVariable('PULSE_PG_APP_PASSWORD', '')

param operatorKey = readEnvironmentVariable('PULSE_OPERATOR_KEY', '')
