export { ProfileService, type Profile, type ProfileCredentials, type ProfileServiceDeps } from './service.ts';
export { ProfileError } from './errors.ts';
export { testConnection, type ConnectionTarget, type ConnectionTestResult, type TestConnectionOptions } from './test-connection.ts';
export { DEFAULT_BASE_URL, nameKey, isProfileId, type AddProfileInput, type ProfileKind } from './validate.ts';
export { createProfilesTable } from './schema.ts';
export { profilesPort, toProfileView } from './port.ts';
