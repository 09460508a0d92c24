/** The tests' mocks are the preview's (programs/preview/mocks.ts): one recorder of what the program registers. */
export * from "../../programs/preview/mocks";
