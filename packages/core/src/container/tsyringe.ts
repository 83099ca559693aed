// The only module that imports tsyringe: it loads the reflect-metadata polyfill tsyringe needs,
// once, and re-exports the pieces core uses. Listed in package.json `sideEffects`.
import 'reflect-metadata';

export { container, type DependencyContainer, inject, injectable, instanceCachingFactory } from 'tsyringe';
