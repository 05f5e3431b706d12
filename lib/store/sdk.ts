import { createRequire } from 'node:module';
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import type * as Documents from '@aws-sdk/lib-dynamodb';
import type * as Marshalling from '@aws-sdk/util-dynamodb';

/**
 * The DynamoDB clients of the AWS SDK, loaded with require rather than import. The SDK ships CommonJS, and
 * when an ES module imports a CommonJS package, Node lexes the source of every module of it to find its
 * named exports (nodejs/node#59913). For these three packages that lexing was about 87 million
 * instructions of every cold start, more than all of a function's own code (docs/performance.md, "Cold
 * init"); require reads the same files without it. Each name is exported as the value and as its type,
 * so the store's modules use it as they would the package's.
 */
const load = createRequire(import.meta.url);
const dynamo = load('@aws-sdk/client-dynamodb') as typeof DynamoDB;
const documents = load('@aws-sdk/lib-dynamodb') as typeof Documents;

export const DynamoDBClient = dynamo.DynamoDBClient;
export type DynamoDBClient = DynamoDB.DynamoDBClient;
export const ConditionalCheckFailedException = dynamo.ConditionalCheckFailedException;
export type ConditionalCheckFailedException = DynamoDB.ConditionalCheckFailedException;
export const TransactionCanceledException = dynamo.TransactionCanceledException;
export type TransactionCanceledException = DynamoDB.TransactionCanceledException;
export type AttributeValue = DynamoDB.AttributeValue;

export const DynamoDBDocumentClient = documents.DynamoDBDocumentClient;
export type DynamoDBDocumentClient = Documents.DynamoDBDocumentClient;
export const GetCommand = documents.GetCommand;
export const PutCommand = documents.PutCommand;
export const QueryCommand = documents.QueryCommand;
export const TransactWriteCommand = documents.TransactWriteCommand;
export const UpdateCommand = documents.UpdateCommand;
export type QueryCommandInput = Documents.QueryCommandInput;

/** lib-dynamodb has loaded it already: this is a lookup in require's cache. */
export const unmarshall: typeof Marshalling.unmarshall = (...input) => (load('@aws-sdk/util-dynamodb') as typeof Marshalling).unmarshall(...input);
