// The console's lint: Vue's essential rules and typescript-eslint's recommended ones (make lint).
import pluginVue from "eslint-plugin-vue";
import { defineConfigWithVueTs, vueTsConfigs } from "@vue/eslint-config-typescript";

export default defineConfigWithVueTs(
  { ignores: ["dist/**", "node_modules/**", "src/api/schema.d.ts"] },
  pluginVue.configs["flat/essential"],
  vueTsConfigs.recommended,
);
