import type { NextConfig } from 'next';

/**
 * The pixelgate packages of this monorepo are used from their TypeScript sources (the
 * `@pixelgate/source` export condition), so Next transpiles them and resolves that condition.
 * An app using the published packages needs none of this: they ship compiled JavaScript.
 */
const config: NextConfig = {
  transpilePackages: [
    '@pixelgate/core',
    '@pixelgate/provider-local',
    '@pixelgate/provider-openai',
    '@pixelgate/provider-stability',
  ],
  serverExternalPackages: ['sharp'],
  webpack(webpackConfig: { resolve: { conditionNames?: string[] } }) {
    webpackConfig.resolve.conditionNames = ['@pixelgate/source', '...'];
    return webpackConfig;
  },
};

export default config;
