// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs the Reflect metadata
// polyfill loaded first; every use of the library goes through this module so the order holds.
import 'reflect-metadata';

export * as x509 from '@peculiar/x509';
