// Lint rules: the recommended sets of ESLint and typescript-eslint, nothing clever, plus the layers
// (docs/architecture.md): lake (the contract) -> runtime -> components -> programs, each importing only downward.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** An import pattern group refusing the given folders (from anywhere below them) with the layer rule as the reason. */
const refuse = (folders, message) => ({
  group: folders.flatMap((folder) => [`**/${folder}`, `**/${folder}/**`]),
  message,
});
const PULUMI = { group: ["@pulumi/*"], message: "Pulumi belongs in components/ and programs/ (docs/architecture.md)." };
const AWS_SDK = { group: ["@aws-sdk/*"], message: "the lake's contract is plain TypeScript (docs/architecture.md)." };
const ABOVE_RUNTIME = refuse(
  ["components", "programs", "policies", "bench", "test"],
  "runtime/ imports only lake/ and itself: it is bundled into the Lambda and the container (docs/architecture.md).",
);

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "**/dist/**",
      ".lake*/**",
      ".cache/**",
      ".cache-*",
      ".venv/**",
      "runtime/dashboard-preview/static/vendor/**",
      "glue/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["lake/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            PULUMI,
            AWS_SDK,
            refuse(
              ["runtime", "components", "programs", "policies", "bench", "test"],
              "lake/ is the contract every layer imports; it imports nothing of theirs (docs/architecture.md).",
            ),
          ],
        },
      ],
    },
  },
  {
    files: ["runtime/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [PULUMI, ABOVE_RUNTIME] }] },
  },
  {
    files: ["components/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            refuse(
              ["programs", "policies", "bench", "test"],
              "components/ import lake/ and runtime/ only; programs wire components, not the other way (docs/architecture.md).",
            ),
          ],
        },
      ],
    },
  },
  {
    files: ["programs/**/*.ts", "policies/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [refuse(["bench", "test"], "programs do not import benchmarks or tests (docs/architecture.md).")] },
      ],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        document: "readonly",
        window: "readonly",
        fetch: "readonly",
      },
    },
  },
);
