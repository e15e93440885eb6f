// The console's build: hashed files under dist/assets, served by the command centre at /assets.
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

export default defineConfig({
  plugins: [vue()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000, // one intranet bundle; no CDN, no lazy chunks to lose mid-shift
  },
});
