import { generateKeyPairSync, randomBytes } from "node:crypto";

/** Realistic structured secrets with fresh credentials, and the shapes they share with clean files. */
const b64u = (n: number): string => randomBytes(n).toString("base64url");
const upper = (n: number): string => randomBytes(n).toString("hex").toUpperCase().slice(0, n);

export const pemKey = (): string => generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

/** A self-signed-looking certificate block (its bytes only need to be the same in both files). */
export const CERT = `-----BEGIN CERTIFICATE-----\n${randomBytes(300).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----\n`;

export const npmrc = (token = `npm_${b64u(27)}`): string =>
  `@acme:registry=https://npm.pkg.github.com/\n//npm.pkg.github.com/:_authToken=${token}\nalways-auth=true\nregistry=https://registry.npmjs.org/\n`;

/** ~/.aws/config: no credential at all, only settings every project of the account shares. */
export const awsConfig = (): string =>
  `[default]\nregion = eu-west-1\noutput = json\n\n[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = default\nregion = eu-west-1\n`;

export const awsCredentials = (secret = b64u(30), id = `AKIA${upper(16)}`, session = b64u(90)): string =>
  `[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\nregion = eu-west-1\n\n[deploy]\naws_access_key_id = ASIA${upper(16)}\naws_secret_access_key = ${b64u(30)}\naws_session_token = ${session}\n`;

export const dotenv = (key = `sk_live_${b64u(24)}`, dbPass = b64u(15)): string =>
  `# app settings\nNODE_ENV=production\nAPP_URL=https://app.example.com\nLOG_LEVEL=info\nPORT=3000\nREDIS_HOST=cache.internal\nDATABASE_URL=postgres://app:${dbPass}@db.internal:5432/app\nSTRIPE_SECRET_KEY=${key}\n`;

export const serviceAccount = (key = pemKey(), keyId = randomBytes(20).toString("hex")): string =>
  JSON.stringify(
    {
      type: "service_account",
      project_id: "acme-prod-381207",
      private_key_id: keyId,
      private_key: key,
      client_email: "deployer@acme-prod-381207.iam.gserviceaccount.com",
      client_id: "104892374658293746512",
      auth_uri: "https://accounts.google.com/o/oauth2/auth",
      token_uri: "https://oauth2.googleapis.com/token",
      auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
      client_x509_cert_url: "https://www.googleapis.com/robot/v1/metadata/x509/deployer%40acme-prod-381207.iam.gserviceaccount.com",
      universe_domain: "googleapis.com",
    },
    null,
    2,
  ) + "\n";

export const dockerConfig = (password = `dckr_pat_${b64u(20)}`): string =>
  JSON.stringify({ auths: { "registry.example.com": { auth: Buffer.from(`ci-bot:${password}`).toString("base64") } }, credsStore: "desktop", currentContext: "default" }, null, "\t") + "\n";

export const kubeconfig = (token = `eyJhbGciOiJSUzI1NiJ9.${b64u(60)}.${b64u(40)}`, key = pemKey()): string =>
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${Buffer.from(CERT).toString("base64")}`,
    "    server: https://k8s.acme.example:6443",
    "  name: acme-prod",
    "contexts:",
    "- context:",
    "    cluster: acme-prod",
    "    user: deployer",
    "  name: acme-prod",
    "current-context: acme-prod",
    "users:",
    "- name: deployer",
    "  user:",
    `    client-key-data: ${Buffer.from(key).toString("base64")}`,
    `    token: ${token}`,
    "",
  ].join("\n");

export const netrc = (password = b64u(24)): string => `machine api.github.com\n  login octocat-bot\n  password ${password}\n`;

export const gitCredentials = (password = `ghp_${b64u(27)}`): string => `https://octocat-bot:${password}@github.com\n`;

export const pypirc = (token = `pypi-${b64u(60)}`): string =>
  `[distutils]\nindex-servers =\n    pypi\n\n[pypi]\nrepository = https://upload.pypi.org/legacy/\nusername = __token__\npassword = ${token}\n`;

export const pemBundle = (key = pemKey()): string => `${key}${CERT}`;

/** Maven's ~/.m2/settings.xml: a server's password; its id, user name and mirror are shared with every build of the team. */
export const mavenSettings = (password = `Vq7${b64u(18)}`): string => `<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:schemaLocation="http://maven.apache.org/SETTINGS/1.0.0 https://maven.apache.org/xsd/settings-1.0.0.xsd">
  <!-- Deploy credentials for the corp repository -->
  <servers>
    <server>
      <id>corp-releases</id>
      <username>ci-deployer</username>
      <password>${password}</password>
      <privateKey>\${user.home}/.ssh/id_rsa</privateKey>
    </server>
  </servers>
  <mirrors>
    <mirror>
      <id>corp-mirror</id>
      <url>https://nexus.acme.example/repository/maven-public/</url>
      <mirrorOf>*</mirrorOf>
    </mirror>
  </mirrors>
</settings>
`;

/** NuGet.Config: a feed's password as `<add key="ClearTextPassword" value="…"/>`, and an API key under `<apikeys>`. */
export const nugetConfig = (password = `Nq4${b64u(18)}`, apiKey = `oy2${randomBytes(22).toString("hex")}`): string => `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
    <add key="corp" value="https://pkgs.dev.azure.com/acme/_packaging/corp/nuget/v3/index.json" />
  </packageSources>
  <packageSourceCredentials>
    <corp>
      <add key="Username" value="ci-feed-reader" />
      <add key="ClearTextPassword" value="${password}" />
    </corp>
  </packageSourceCredentials>
  <apikeys>
    <add key="https://www.nuget.org/api/v2" value="${apiKey}" />
  </apikeys>
</configuration>
`;

/** What every jar built by Maven holds (META-INF/maven/…/pom.xml): the declaration, the tags a settings.xml has too. */
export const pomXml = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>app</artifactId>
  <version>1.0.0</version>
</project>
`;
