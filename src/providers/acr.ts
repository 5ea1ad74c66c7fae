import * as v from "valibot";
import { AuthError } from "../errors/index.ts";
import type { Credential, CredentialSource } from "../remote/auth/credentials.ts";
import { catalogRepositories } from "./generic.ts";
import { sameOriginApi } from "./basic.ts";
import type { ProviderContext, RegistryProvider } from "./types.ts";

const ACR_HOST = /\.azurecr\.(io|cn|us)$/;

/** The user name ACR pairs with a refresh token (what `az acr login` stores). */
export const ACR_TOKEN_USER = "00000000-0000-0000-0000-000000000000";

const ExchangeAnswerSchema = v.looseObject({ refresh_token: v.string() });

/**
 * Azure Container Registry: admin users, service principals and repository-scoped tokens
 * log in like anywhere else (Basic to ACR's token service); Azure AD identities go through
 * ACR's token exchange: an AAD access token (`credentials.azure.tokenEnv` names the variable
 * holding it) is posted to `/oauth2/exchange` for an ACR refresh token, which the Docker
 * token flow (`POST /oauth2/token`, `grant_type=refresh_token`) then trades for access
 * tokens scoped per request. Repositories come from `/v2/_catalog`.
 *
 * @example // registries.yaml: credentials: { azure: { tokenEnv: AZURE_ACCESS_TOKEN, tenant: … } }
 */
export const acrProvider: RegistryProvider = {
  kind: "acr",
  title: "Azure Container Registry",
  documented: {
    referrersApi: "yes",
    listing: "/v2/_catalog",
    search: "local index (built from the catalog)",
    auth: "admin user, service principal or token (Basic); Azure AD token exchanged at /oauth2/exchange",
    createsRepositoryOnPush: true,
    notes: "AAD tokens are exchanged for refresh tokens; access tokens are scoped per repository",
  },
  writeProbesByDefault: true,
  recognizesHost: (host) => ACR_HOST.test(host.replace(/:443$/, "")),
  recognizesAnswer: (e) => ACR_HOST.test(e.challenge?.service ?? ""),
  credentialSource: (ctx) => (ctx.registry.entry?.credentials?.azure ? exchangeSource(ctx) : undefined),
  listRepositories: catalogRepositories,
};

/** A refresh token from the AAD token exchange, fetched once per process. */
function exchangeSource(ctx: ProviderContext): CredentialSource {
  const azure = ctx.registry.entry!.credentials!.azure!;
  let pending: Promise<Credential> | undefined;
  return {
    name: `Azure AD token exchange ($${azure.tokenEnv})`,
    async get(host) {
      if (host !== ctx.registry.host) return undefined;
      pending ??= (async () => {
        const aad = ctx.env[azure.tokenEnv];
        if (!aad) throw new AuthError(`${azure.tokenEnv} is not set: registry ${ctx.registry.name ?? ctx.registry.host} takes its Azure AD token from it`, { hint: "e.g. export it from `az account get-access-token --query accessToken -o tsv`" });
        const api = await ctx.api(sameOriginApi(ctx));
        const { value } = await api.json({ path: "/oauth2/exchange", form: { grant_type: "access_token", service: ctx.registry.host, tenant: azure.tenant, access_token: aad } }, ExchangeAnswerSchema);
        return { username: ACR_TOKEN_USER, identityToken: value.refresh_token };
      })();
      return pending;
    },
  };
}
