export * from "./enums";
export * from "./tenancy";
export * from "./crm";
export * from "./conversations";
export * from "./platform";
export * from "./memory";
export * from "./auth";
