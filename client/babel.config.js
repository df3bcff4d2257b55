// Taro's preset: React, TypeScript, the targets' runtimes.
module.exports = {
  presets: [['taro', { framework: 'react', ts: true, compiler: 'webpack5' }]]
}
