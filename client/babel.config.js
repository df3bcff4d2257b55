// Taro's preset: React, TypeScript, the targets' runtimes. The JSX is the same for Preact, which the build
// (config/index.ts) puts behind React's name.
module.exports = {
  presets: [['taro', { framework: 'react', ts: true, compiler: 'webpack5' }]]
}
