import type { TestProject } from 'vitest/node';
import { type FakeRealto, startFakeRealto } from '../upstream/fake-realto.ts';

let fake: FakeRealto | undefined;

/** Proxy mode's suite run: the fake Realto platform on loopback, for the whole run of the project. */
export async function setup(project: TestProject) {
  fake = await startFakeRealto();
  project.provide('realto', { baseUrl: fake.baseUrl, clientId: fake.clientId, clientSecret: fake.clientSecret });
}

export async function teardown() {
  await fake?.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    realto: { baseUrl: string; clientId: string; clientSecret: string } | undefined;
  }
}
