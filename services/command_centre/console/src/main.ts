// The command centre's console (指挥中心工作台): Vue 3, Element Plus, ECharts, vue-i18n; docs/console.md.
import { createApp } from "vue";
import ElementPlus from "element-plus";
import "element-plus/dist/index.css";
import { createI18n } from "vue-i18n";
import App from "./App.vue";
import router from "./router";
import zhCN from "./i18n/zh-CN";
import en from "./i18n/en";
import { locale } from "./session";
import "./app.css";

const i18n = createI18n({ legacy: false, locale: locale(), fallbackLocale: "zh-CN", messages: { "zh-CN": zhCN, en } });
createApp(App).use(i18n).use(router).use(ElementPlus).mount("#app");
