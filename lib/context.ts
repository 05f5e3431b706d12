import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig } from './config.ts';
import { withSecretsFromSsm } from './secrets.ts';

/** Cold start: configuration is read once, and a bad one stops the function here with its reason. */
export const config = loadConfig(await withSecretsFromSsm(process.env));

export const logger = new Logger({ serviceName: 'onboarding', logLevel: config.logLevel as never });
