// Taro's preset: React, TypeScript, the targets' runtimes. The JSX is the same for Preact, which the build
// (config/index.ts) puts behind React's name.
// The H5 build targets browsers of the last few years (ES2020: async functions, classes and spreads kept as
// they are, no regenerator runtime); the mini-program keeps package.json's browserslist.
const h5Targets = process.env.TARO_ENV === 'h5' ? { targets: 'chrome >= 87, edge >= 88, firefox >= 78, safari >= 14, ios_saf >= 14' } : {}

module.exports = {
  presets: [['taro', { framework: 'react', ts: true, compiler: 'webpack5', ...h5Targets }]]
}
