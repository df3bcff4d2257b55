/// <reference types="vitest" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Served by the gateway at /console/; assets get content hashes in their names (cached for a year there).
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        // Charts are only on the dashboard: kept apart so sign-in does not wait for ECharts.
        manualChunks: { echarts: ["echarts", "echarts-for-react"], antd: ["antd", "@ant-design/icons"] },
      },
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    testTimeout: 20000,
  },
});
