/**
 * Test kits for pixelgate plugins and apps: a mock provider, the provider conformance suite and
 * (re-exported from their folders) the storage and guardrail suites.
 * @packageDocumentation
 */
export * from './mock-image-provider.ts';
export * from './provider-conformance.ts';
export * from './solid-png.ts';
