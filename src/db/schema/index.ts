export * from "./auth";
export * from "./conversations";
export * from "./crm";
export * from "./enums";
export * from "./invitations";
export * from "./memory";
export * from "./platform";
export * from "./tenancy";
