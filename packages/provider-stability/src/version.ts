/** This package's version, sent in the user-agent so Stability support can tell pixelgate traffic apart. */
export const VERSION = '0.1.0';
