/// <reference types="vitest" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Served by the gateway at /console/; assets get content hashes in their names (cached for a year there).
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  server: { proxy: { "/api": "http://127.0.0.1:8080" } }, // `npm run dev` against ./deploy/run-local.sh
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    testTimeout: 60000, // the suite runs beside the Python tests (several processes): a busy machine is slow
  },
});
