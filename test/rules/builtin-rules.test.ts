import { randomBytes, randomUUID } from "node:crypto";
import { RE2JS } from "re2js";
import { describe, expect, test } from "vitest";
import { BUILTIN_RULES, segmentOtherThan } from "../../src/rules/builtin-rules.js";
import { alnum, pem, pick, ppk, serviceAccount, token } from "./tokens.js";
import { builtins, builtinsOnRe2, findInFile, findSettings, findStream, findWhole } from "./find.js";
import { WholeFileRules } from "../../src/match/whole-file-rules.js";

const jsonEscaped = (text: string): string => JSON.stringify({ key: text });

/** [rule, text that holds one secret of it]: the formats as they sit in files of an image. */
const positives: [string, () => string][] = [
  ["private-key", () => pem("RSA PRIVATE KEY")],
  ["private-key", () => pem("OPENSSH PRIVATE KEY")],
  ["private-key", () => pem("EC PRIVATE KEY", token.pemBody(160))],
  ["private-key", () => pem("ENCRYPTED PRIVATE KEY").replace(/\n/g, "\r\n")],
  ["private-key", () => jsonEscaped(pem("PRIVATE KEY"))],
  ["private-key", () => `key: |\n  ${pem("PRIVATE KEY").replace(/\n/g, "\n  ")}`],
  ["private-key", () => `SSH_KEY="${pem("OPENSSH PRIVATE KEY").replace(/\n/g, " ")}"`],
  // XML with its line breaks as character references; JSON inside a JSON string (doubled escapes)
  ["private-key", () => `<key>${pem("PRIVATE KEY").trimEnd().replace(/\n/g, "&#10;")}</key>`],
  ["private-key", () => `<key>${pem("RSA PRIVATE KEY").trimEnd().replace(/\n/g, "&#xD;&#xA;")}</key>`],
  ["private-key", () => JSON.stringify({ v: JSON.stringify({ private_key: pem("PRIVATE KEY") }) })],
  ["putty-private-key", () => ppk()],
  // RSA-4096 (12 public lines) in both versions, and v3 encrypted with its five Argon2 lines
  ["putty-private-key", () => ppk({ version: 2, bits: 4096 })],
  ["putty-private-key", () => ppk({ version: 3, bits: 4096, encrypted: true })],
  // System.Text.Json writes `+` as `\u002B` (and `=` as `\u003D`)
  ["private-key", () => jsonEscaped(pem("PRIVATE KEY", `${token.pemBody(400)}+/+=`)).replace(/\+/g, "\\u002B").replace(/=/g, "\\u003D")],
  ["aws-access-key", () => `[default]\naws_access_key_id = ${token.awsId()}\naws_secret_access_key = ${token.awsSecret()}\n`],
  ["aws-access-key", () => JSON.stringify({ AccessKey: { AccessKeyId: token.awsId(), SecretAccessKey: token.awsSecret() } })],
  ["aws-access-key", () => `AWS_SECRET_ACCESS_KEY=${token.awsSecret()}\nAWS_ACCESS_KEY_ID=${token.awsId()}\n`],
  // the names s3cmd, Terraform, Spring and Java properties give the secret key
  ["aws-secret-key-near-id", () => `[default]\naccess_key = ${token.awsId()}\nsecret_key = ${token.awsSecret()}\n`],
  ["aws-secret-key-near-id", () => `provider "aws" {\n  access_key = "${token.awsId()}"\n  secret_key = "${token.awsSecret()}"\n}\n`],
  ["aws-secret-key-near-id", () => `cloud:\n  aws:\n    credentials:\n      access-key: ${token.awsId()}\n      secret-key: ${token.awsSecret()}\n`],
  ["aws-secret-key-near-id", () => `aws.accessKeyId=${token.awsId()}\naws.secretKey=${token.awsSecret()}\n`],
  // under its own name, the key id elsewhere (another layer, the CI's variables)
  ["aws-access-key", () => `ENV AWS_SECRET_ACCESS_KEY=${token.awsSecret()}\n`],
  ["aws-access-key", () => `[prod]\nregion = eu-west-1\naws_secret_access_key = ${token.awsSecret()}\n`],
  ["aws-access-key", () => JSON.stringify({ Credentials: { SecretAccessKey: token.awsSecret(), SessionToken: alnum(300) } }, null, 2)],
  ["aws-access-key-id", () => `export AWS_ACCESS_KEY_ID=${token.awsId()}`],
  ["aws-access-key-id", () => `{"AccessKeyId": "ASIA${token.awsId().slice(4)}"}`],
  ["private-key-base64", () => `users:\n- name: admin\n  user:\n    client-key-data: ${Buffer.from(pem("RSA PRIVATE KEY")).toString("base64")}\n`],
  ["private-key-base64", () => `SSH_KEY_B64=${Buffer.from(pem("OPENSSH PRIVATE KEY")).toString("base64")}`],
  ["private-key-base64", () => `tls.key: ${Buffer.from(pem("PRIVATE KEY")).toString("base64")}`],
  // wrapped: coreutils' base64 (76 columns), and indented in a YAML block scalar (CRLF too)
  ["private-key-base64", () => `${Buffer.from(pem("RSA PRIVATE KEY")).toString("base64").replace(/.{76}/g, "$&\n")}\n`],
  ["private-key-base64", () => `data:\n  tls.key: |\n    ${Buffer.from(pem("EC PRIVATE KEY", token.pemBody(300))).toString("base64").replace(/.{64}/g, "$&\r\n    ")}\n`],
  // after openssl pkcs12's Bag Attributes, and after a certificate in one blob: the key's header at each alignment
  ["private-key-base64", () => `TLS_KEY=${Buffer.from(`Bag Attributes\n    friendlyName: tls\n    localKeyID: 01 02 03 04\nKey Attributes: <No Attributes>\n${pem("PRIVATE KEY")}`).toString("base64")}`],
  // `subject=` lines of three lengths put the key's header at each of the three alignments
  ["private-key-base64", () => `tls.pem: ${Buffer.from(`subject=CN = app\n${pem("CERTIFICATE", token.pemBody(900))}${pem("RSA PRIVATE KEY")}`).toString("base64")}`],
  ["private-key-base64", () => `tls.pem: ${Buffer.from(`subject=CN = app1\n${pem("CERTIFICATE", token.pemBody(900))}${pem("EC PRIVATE KEY", token.pemBody(300))}`).toString("base64")}`],
  ["private-key-base64", () => `tls.pem: ${Buffer.from(`subject=CN = app12\n${pem("CERTIFICATE", token.pemBody(900))}${pem("PRIVATE KEY")}`).toString("base64")}`],
  ["docker-config-auth", () => JSON.stringify({ auths: { "registry.example.com": { auth: Buffer.from(`ci:${alnum(24)}`).toString("base64") } } }, null, "\t")],
  ["url-password", () => `REDIS_URL=redis://:${alnum(24)}@redis:6379/0`],
  ["openai-api-key", () => `OPENAI_API_KEY=${token.openai()}\n`],
  ["openai-api-key", () => `openai.api_key = "${token.openaiLegacy()}"`],
  ["anthropic-api-key", () => `export ANTHROPIC_API_KEY=${token.anthropic()}`],
  ["huggingface-token", () => `HF_TOKEN=${token.huggingface()}`],
  ["gitlab-token", () => `gitlab-runner register --token ${token.gitlabRunner()}`],
  ["slack-token", () => `SLACK_APP_TOKEN=${token.slackApp()}`],
  ["github-token", () => `GITHUB_TOKEN=${token.github("p")}\n`],
  ["github-token", () => `"token": "${token.github("s")}"`],
  ["github-token", () => `https://x-access-token:${token.github("o")}@github.com/o/r.git`],
  // after an underscore: a file named after the token
  ["github-token", () => `app/tok_${token.github("p")}`],
  ["github-fine-grained-token", () => `export GH_TOKEN=${token.githubFine()}`],
  ["gitlab-token", () => `PRIVATE-TOKEN: ${token.gitlab()}`],
  ["npm-token", () => `//registry.npmjs.org/:_authToken=${token.npm()}\n`],
  // bare, away from any field name
  ["npm-token", () => `token: ${token.npm()}`],
  ["npm-token", () => JSON.stringify({ publish: { auth: token.npm() } })],
  ["npm-token", () => `RUN echo ${token.npm()} > /root/.token`],
  ["pypi-token", () => `[pypi]\n  username = __token__\n  password = ${token.pypi()}\n`],
  ["dockerhub-token", () => `echo ${token.dockerhub()} | docker login -u me --password-stdin`],
  ["slack-token", () => `SLACK_BOT_TOKEN=${token.slack()}`],
  ["slack-webhook", () => `curl -X POST ${token.slackWebhook()}`],
  ["stripe-key", () => `STRIPE_SECRET_KEY=${token.stripe()}`],
  ["sonarqube-token", () => `sonar.token=${token.sonarqube("u")}\n`],
  ["sonarqube-token", () => `SONAR_TOKEN=${token.sonarqube("p")}`],
  ["sonarqube-token", () => JSON.stringify({ sonar: { token: token.sonarqube("a") } })],
  ["google-api-key", () => `const key = "${token.google()}";`],
  ["gcp-service-account", () => serviceAccount()],
  ["vault-token", () => `export VAULT_TOKEN=${token.vault()}\n`],
  ["vault-token", () => `{"auth":{"client_token":"${token.vaultBatch()}","accessor":"x"}}`],
  ["age-secret-key", () => `# created: 2026-01-02T10:00:00Z\n# public key: age1${alnum(58).toLowerCase()}\n${token.age()}\n`],
  ["age-secret-key", () => `SOPS_AGE_KEY=${token.age()}`],
  ["digitalocean-token", () => `DIGITALOCEAN_ACCESS_TOKEN=${token.digitalocean()}`],
  ["digitalocean-token", () => `access-token: ${token.digitalocean("o")}\n`],
  ["pulumi-token", () => `ENV PULUMI_ACCESS_TOKEN=${token.pulumi()}`],
  ["grafana-token", () => `GF_TOKEN="${token.grafanaSa()}"`],
  ["grafana-token", () => `grafana_cloud_token = "${token.grafanaCloud()}"`],
  ["azure-shared-key", () => JSON.stringify({ ConnectionStrings: { Storage: `DefaultEndpointsProtocol=https;AccountName=prodstore01;AccountKey=${token.azureStorage()};EndpointSuffix=core.windows.net` } }, null, 2)],
  ["azure-shared-key", () => `Endpoint=sb://prod-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${token.azureSas()}`],
  ["azure-shared-key", () => `<add name="Cosmos" connectionString="AccountEndpoint=https://prod.documents.azure.com:443/;AccountKey=${token.azureStorage()}" />`],
  ["azure-shared-key", () => `AzureWebJobsStorage: "DefaultEndpointsProtocol=https;AccountName=fn;AccountKey=${token.azureStorage()}"\n`],
  // as System.Text.Json writes it (`+` and `=` escaped), and as PHP's json_encode does (`/` escaped)
  ["azure-shared-key", () => `{"Storage":"AccountName=prod;AccountKey=${`+${token.azureStorage().slice(1)}`.replace(/\+/g, "\\u002B").replace(/=/g, "\\u003D")};"}`],
  ["azure-shared-key", () => `{"bus":"SharedAccessKey=${(token.azureSas().slice(0, 42) + "/=").replace(/\//g, "\\/")}"}`],
  ["jwt", () => `Authorization: Bearer ${token.jwt()}`],
  // a JOSE header written with spaces
  ["jwt", () => `t=${token.jwtSpaced()}`],
  ["url-password", () => `DATABASE_URL=postgres://app:${alnum(16)}@db.internal:5432/app`],
  ["url-password", () => `git clone https://deploy:${alnum(20)}@git.acme-corp.io/team/repo.git`],
  // a reserved name only as the whole host's end: example.com.evil.io is someone's
  ["url-password", () => `https://ci:${alnum(20)}@example.com.mirror.acme.io/repo`],
  // a real password with a run of ascending digits in it
  ["url-password", () => "DATABASE_URL=postgres://app:Company1234!@db.prod.internal:5432/app"],
  ["url-password", () => "amqp://svc:Spring2024@mq.acme-corp.io:5672/"],
  // credential files, whatever the token's shape (a legacy npm token is a UUID)
  ["npmrc-auth", () => `registry=https://npm.acme-corp.io/\n//npm.acme-corp.io/:_authToken=${randomUUID()}\nalways-auth=true\n`],
  ["npmrc-auth", () => `_auth = ${Buffer.from(`ci:${alnum(20)}`).toString("base64")}\nemail=ci@acme-corp.io\n`],
  ["npmrc-auth", () => `//npm.pkg.github.com/:_password="${Buffer.from(alnum(24)).toString("base64")}"\n`],
  ["npmrc-auth", () => `npmRegistries:\n  "https://npm.acme-corp.io":\n    npmAuthToken: ${alnum(40)}\n`],
  // Yarn 1's .yarnrc: `key value`, quoted
  ["npmrc-auth", () => `registry "https://registry.yarnpkg.com"\n"//npm.acme-corp.io/:_authToken" "${alnum(36)}"\n`],
  ["netrc-password", () => `machine api.acme-corp.io\n  login deploy\n  password ${alnum(24)}\n`],
  ["netrc-password", () => `machine git.acme-corp.io login ci password ${alnum(32)}`],
  ["maven-settings-password", () => `<settings>\n  <servers>\n    <server>\n      <id>nexus</id>\n      <username>ci</username>\n      <password>${alnum(20)}</password>\n    </server>\n  </servers>\n</settings>\n`],
  ["composer-auth", () => JSON.stringify({ "http-basic": { "repo.acme-corp.io": { username: "ci", password: alnum(24) } } }, null, 4)],
  ["pgpass-password", () => `# app database\ndb.internal:5432:app:app_user:${alnum(20)}\n`],
  ["pgpass-password", () => `*:*:*:replicator:${alnum(16)}`],
  ["mysql-password", () => `[client]\nuser=app\npassword="${alnum(18)}"\nhost=db\n`],
  ["pypirc-password", () => `[distutils]\nindex-servers = internal\n\n[internal]\nrepository = https://pypi.acme-corp.io/\nusername = ci\npassword = ${alnum(22)}\n`],
  ["cargo-registry-token", () => `[registries.acme]\ntoken = "${alnum(32)}"\n`],
  ["cargo-registry-token", () => `[registry]\ntoken = "cio${alnum(32)}"\n`],
  ["gem-credentials", () => `---\n:rubygems_api_key: rubygems_${alnum(48).toLowerCase()}\n`],
  // another platform's token (Spacelift, Scalr, env0 hand out their own shapes)
  ["terraform-credentials", () => `credentials "acme.app.spacelift.io" {\n  token = "${alnum(48)}"\n}\n`],
  ["terraform-credentials", () => JSON.stringify({ credentials: { "acme.scalr.io": { token: `${alnum(24)}.${alnum(40)}` } } })],
  ["terraform-cloud-token", () => JSON.stringify({ credentials: { "app.terraform.io": { token: token.terraformCloud() } } })],
  ["kubeconfig-credentials", () => `users:\n- name: ci\n  user:\n    token: ${alnum(40)}\n`],
  ["kubeconfig-credentials", () => `users:\n- name: admin\n  user:\n    username: admin\n    password: ${alnum(20)}\n`],
  ["vault-token-file", () => `hvs.${alnum(24)}${alnum(66)}`],
  ["rails-master-key", () => `${randomBytes(16).toString("hex")}\n`],
  ["wireguard-private-key", () => `[Interface]\nAddress = 10.0.0.2/32\nPrivateKey = ${randomBytes(32).toString("base64")}\nDNS = 10.0.0.1\n\n[Peer]\nPublicKey = ${randomBytes(32).toString("base64")}\nEndpoint = vpn.acme.io:51820\n`],
  ["openvpn-static-key", () => `#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n${randomBytes(256).toString("hex").replace(/.{32}/g, "$&\n")}-----END OpenVPN Static key V1-----\n`],
  ["openvpn-static-key", () => `client\nremote vpn.acme.io 1194\n<tls-crypt>\n-----BEGIN OpenVPN Static key V1-----\r\n${randomBytes(256).toString("hex").replace(/.{32}/g, "$&\r\n")}-----END OpenVPN Static key V1-----\r\n</tls-crypt>\n`],
  ["gradle-properties-secret", () => `org.gradle.jvmargs=-Xmx2g\nsigning.keyId=24875D73\nsigning.password=${alnum(20)}\nnexusToken=${alnum(32)}\n`],
  ["gcloud-credentials", () => JSON.stringify({ client_id: "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com", client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty", refresh_token: `1//0g${alnum(96)}`, type: "authorized_user" }, null, 2)],
  ["gcloud-credentials", () => `[Credentials]\ngs_oauth2_refresh_token = 1//0g${alnum(96)}\n`],
  ["azure-cli-token-cache", () => JSON.stringify({ RefreshToken: { x: { credential_type: "RefreshToken", secret: `0.AXoA${alnum(300)}`, home_account_id: "a.b" } } }, null, 2)],
  ["docker-config-identitytoken", () => JSON.stringify({ auths: { "acme.azurecr.io": { auth: "MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwOg==", identitytoken: `${alnum(40)}.${alnum(200)}` } } }, null, "\t")],
  ["dotenv-secret", () => `NODE_ENV=production\nPORT=3000\nDB_PASSWORD=${alnum(20)}\n`],
  ["dotenv-secret", () => `export STRIPE_WEBHOOK_SECRET="whsec_${alnum(32)}"\n`],
  ["dotenv-secret", () => `session_secret=${alnum(24)} # rotate yearly\n`],
  // a setting's name beside the secret, and a _FILE name whose value is no path: still the secret
  ["dotenv-secret", () => `PASSWORD_HASH_ALGORITHM=argon2id\nPOSTGRES_PASSWORD_FILE=/run/secrets/db\nDB_PASSWORD=s3cr3t${alnum(16)}\n`],
  ["dotenv-secret", () => `DB_PASSWORD_FILE=${alnum(20)}\n`],
  ["dotenv-secret", () => `JWT_SECRET_FILE_CONTENT=${alnum(24)}\n`],
  ["django-secret-key", () => `DEBUG = False\nSECRET_KEY = '${alnum(50)}'\nALLOWED_HOSTS = ["*"]\n`],
  ["spring-config-password", () => `spring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.username=app\nspring.datasource.password=${alnum(18)}\n`],
  ["spring-config-password", () => `spring:\n  datasource:\n    username: app\n    password: ${alnum(18)}\n`],
  ["connection-string-password", () => JSON.stringify({ ConnectionStrings: { Default: `Server=db;Database=app;User Id=app;Password=${alnum(18)};` } }, null, 2)],
  // a deploy token's shape, but not whole: a password that happens to start with `#{` or `__`
  ["connection-string-password", () => `"Server=db;User Id=app;Password=#{${alnum(16)};" "Server=db;Password=__${alnum(16)};"`],
  // an identifier beside a key, and a keystore password changed from the JDK's default
  ["gradle-properties-secret", () => `sonar.projectKey=acme_payments-service\nsonar.token=${alnum(40)}\n`],
  ["gradle-properties-secret", () => `systemProp.javax.net.ssl.trustStorePassword=changeit${alnum(8)}\n`],
  ["spring-config-password", () => `server:\n  ssl:\n    key-store-password: ${alnum(16)}\n    trust-store-password: changeit\n`],
  ["wordpress-config-secret", () => `<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_PASSWORD', '${alnum(20)}' );\n`],
  ["sendgrid-api-key", () => `SENDGRID_API_KEY=${token.sendgrid()}\n`],
  ["twilio-credential", () => `TWILIO_ACCOUNT_SID=AC${randomBytes(16).toString("hex")}\nTWILIO_AUTH_TOKEN=${randomBytes(16).toString("hex")}\n`],
  ["twilio-credential", () => `from twilio.rest import Client\n\nclient = Client("SK${randomBytes(16).toString("hex")}", "${alnum(29)}aZ9", "AC${randomBytes(16).toString("hex")}")\n`],
  // the name with a capital only (.NET, C#, PHP), a Node variable, curl's -u
  ["twilio-credential", () => JSON.stringify({ Twilio: { AccountSid: `AC${randomBytes(16).toString("hex")}`, AuthToken: randomBytes(16).toString("hex") } }, null, 2)],
  ["twilio-credential", () => `using Twilio;\nTwilioClient.Init("AC${randomBytes(16).toString("hex")}", "${randomBytes(16).toString("hex")}");\n`],
  ["twilio-credential", () => `const authToken = '${randomBytes(16).toString("hex")}';\nconst client = require('twilio')('AC${randomBytes(16).toString("hex")}', authToken);\n`],
  ["twilio-credential", () => `curl -X POST https://api.twilio.com/2010-04-01/Accounts/AC${"0".repeat(32)}/Messages.json -u AC${randomBytes(16).toString("hex")}:${randomBytes(16).toString("hex")}\n`],
  ["shopify-token", () => `{"access_token": "${token.shopify("at")}"}`],
  ["shopify-token", () => `SHOPIFY_API_SECRET=${token.shopify("ss")}`],
  ["atlassian-api-token", () => `JIRA_API_TOKEN=${token.atlassian()}\n`],
  ["databricks-token", () => `[DEFAULT]\nhost = https://adb-1234567890123456.7.azuredatabricks.net\ntoken = ${token.databricks()}\n`],
  ["webhook-signing-secret", () => `STRIPE_WEBHOOK_SECRET: "${token.whsec()}"`],
  ["azure-sas-token", () => `BLOB_URL=https://acme.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2027-01-01T00:00:00Z&spr=https&sig=${token.azureSasSig()}\n`],
  ["azure-sas-token", () => `"Endpoint=sb://acme.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=acme&sig=${token.azureSasSig()}&se=1893456000&skn=send"`],
  // Logic Apps (Teams workflows): base64url, no padding
  ["azure-sas-token", () => `https://prod-12.westeurope.logic.azure.com:443/workflows/${randomBytes(16).toString("hex")}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${randomBytes(32).toString("base64url")}`],
  ["azure-entra-client-secret", () => `AZURE_CLIENT_SECRET=${token.entraSecret()}\n`],
  ["azure-entra-client-secret", () => `"ClientSecret": "${token.entraSecret()}",`],
  ["google-oauth-client-secret", () => JSON.stringify({ web: { client_id: "1234-abc.apps.googleusercontent.com", client_secret: token.gocspx() } })],
  ["jfrog-token", () => `ARTIFACTORY_API_KEY=${token.jfrogKey()}`],
  ["jfrog-token", () => `//acme.jfrog.io/artifactory/api/npm/npm/:_authToken=${token.jfrogReference()}`],
  ["new-relic-key", () => `NEW_RELIC_API_KEY=${token.newRelic()}`],
  ["sentry-token", () => `SENTRY_AUTH_TOKEN=${token.sentryOrg()}`],
  ["sentry-token", () => `[auth]\ntoken=${token.sentryUser()}\n`],
  ["doppler-token", () => `DOPPLER_TOKEN=${token.doppler()}`],
  ["doppler-token", () => `DOPPLER_TOKEN="${token.doppler("pt")}"`],
  ["terraform-cloud-token", () => `TF_TOKEN_app_terraform_io=${token.terraformCloud()}\n`],
  ["hosting-platform-token", () => `HEROKU_API_KEY=${token.heroku()}`],
  ["hosting-platform-token", () => `SUPABASE_ACCESS_TOKEN=${token.supabase()} TS_AUTHKEY=${token.tailscale()}`],
  ["hosting-platform-token", () => `BUILDKITE_API_TOKEN=${token.buildkite()}\nCIRCLE_TOKEN=${token.circleci()}\nPOSTMAN_API_KEY=${token.postman()}`],
  ["saas-api-token", () => `LINEAR_API_KEY=${token.linear()}\nNOTION_TOKEN=${token.notion()}`],
  ["saas-api-token", () => `OP_SERVICE_ACCOUNT_TOKEN=${token.onePassword()}\nSQUARE_ACCESS_TOKEN=${token.square()}`],
  ["ai-api-key", () => `GROQ_API_KEY=${token.groq()}\nXAI_API_KEY=${token.xai()}`],
  ["ai-api-key", () => `REPLICATE_API_TOKEN=${token.replicate()}\nLANGSMITH_API_KEY=${token.langsmith()}`],
  ["chat-webhook", () => `DISCORD_WEBHOOK_URL=${token.discordWebhook()}\n`],
  ["chat-webhook", () => `teams_webhook: "${token.teamsWebhook()}"`],
  ["slack-webhook", () => `SLACK_WORKFLOW_URL=${token.slackWorkflow()}`],
  ["gitlab-token", () => `GITLAB_OAUTH_SECRET=${token.gitlabOauth()}\nGITLAB_AGENT_TOKEN=${token.gitlabAgent()}`],
  ["compose-secret", () => `services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD: ${alnum(20)}\n`],
  ["compose-secret", () => `services:\n  app:\n    environment:\n      - NODE_ENV=production\n      - "STRIPE_API_TOKEN=${alnum(24)}"\n`],
  ["compose-secret", () => `x-env: &env\n  RABBITMQ_DEFAULT_PASS: '${alnum(16)}'\n`],
  // a connection string's or a URL query's password in a setting of any name
  ["env-secret", () => `ConnectionStrings__Default=Server=db;Database=app;User Id=sa;Password=${alnum(18)};TrustServerCertificate=true`],
  ["env-secret", () => `SPRING_DATASOURCE_URL=jdbc:postgresql://db:5432/app?user=app&password=${alnum(16)}&ssl=true`],
  ["git-extraheader", () => `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token.github("s")}`).toString("base64")}\n`],
  ["git-extraheader", () => `[http]\n\textraHeader = "Authorization: Bearer ${alnum(40)}"\n`],
  ["shell-history-secret", () => `ls -la\nexport API_TOKEN=${alnum(24)}\n`],
  ["shell-history-secret", () => `cd /app\ndocker login -u ci -p ${alnum(20)} registry.acme.io\n`],
  ["shell-history-secret", () => `mysql -u root -p${alnum(16)} app < dump.sql\n`],
  ["shell-history-secret", () => `pg_dump --dbname=app --password=${alnum(18)}\n`],
  ["shell-history-secret", () => `cd /app && DB_PASSWORD='${alnum(16)}' ./migrate\n`],
  ["laravel-app-key", () => `APP_NAME=Shop\nAPP_ENV=production\nAPP_KEY=base64:${randomBytes(32).toString("base64")}\n`],
  ["laravel-app-key", () => `ENV APP_KEY="base64:${randomBytes(32).toString("base64")}"`],
  // the image's settings, as setting-lines.ts gives them: Env entries, build arguments, labels
  ["env-secret", () => `PATH=/usr/local/sbin:/usr/local/bin\nDB_PASSWORD=${alnum(20)}\n`],
  ["env-secret", () => `ME_CONFIG_MONGODB_ADMINPASSWORD=${alnum(16)}`],
  ["env-secret", () => `SMTP_PASS=${alnum(12)}!`],
  ["env-secret", () => `NPM_TOKEN=${randomUUID()}`],
  ["env-secret", () => `NEW_RELIC_LICENSE_KEY=${randomBytes(20).toString("hex")}`],
  ["env-secret", () => `com.acme.db-password=${alnum(14)}`],
  ["env-secret", () => `apiKey=${alnum(24)}\ndbPassword=${alnum(12)}`],
  // a value with blanks (ENV keeps it whole), a _FILE name whose value is no path
  ["env-secret", () => `DB_PASSWORD=correct horse ${alnum(6)} staple`],
  ["env-secret", () => `DB_PASSWORD_FILE=${alnum(20)}`],
  ["env-secret", () => `GITHUB_AUTHTOKEN=${alnum(20)}\nbotToken=${alnum(20)}`],
];

/** [rule, text that looks close but holds no secret of it]. */
const negatives: [string, () => string][] = [
  // a certificate chain and a public key, base64 at each alignment: no private key in them
  ["private-key-base64", () => `ca.crt: ${Buffer.from(`${pem("CERTIFICATE", token.pemBody(900))}${pem("CERTIFICATE", token.pemBody(700))}`).toString("base64")}`],
  ["private-key-base64", () => `pub: ${Buffer.from(`x${pem("PUBLIC KEY", token.pemBody(300))}`).toString("base64")} ${Buffer.from(`xy${pem("RSA PUBLIC KEY", token.pemBody(300))}`).toString("base64")}`],
  ["git-extraheader", () => "[http]\n\textraheader = AUTHORIZATION: basic ${GITHUB_TOKEN}\n# git config http.extraheader 'AUTHORIZATION: basic <token>'\n"],
  ["shell-history-secret", () => "ls -la\nexport DB_PASSWORD=$(cat /run/secrets/db)\ndocker login -u ci --password-stdin < token.txt\nmysql -u root -p app\nexport PASSWORD_FILE=/run/secrets/pw\nexport API_TOKEN=changeme\ncurl --token-file ./tok https://x\n"],
  // .env.example's empty key, Pusher's public app key, a key of another length
  ["laravel-app-key", () => `APP_KEY=\nAPP_KEY=base64:\nPUSHER_APP_KEY=base64:${randomBytes(32).toString("base64")}\nAPP_KEY=base64:${randomBytes(16).toString("base64")}\n`],
  // look-alikes: a prefix inside a word, the wrong length or alphabet, documentation's placeholders
  // a SID alone (an identifier), a digest beside the name, a placeholder, a 32-character value with no SID near
  ["twilio-credential", () => `TWILIO_ACCOUNT_SID=AC${randomBytes(16).toString("hex")}\ntwilio==9.0.0 --hash=sha256:${randomBytes(32).toString("hex")}\nTWILIO_AUTH_TOKEN=your_auth_token_here_0123456789ab\n`],
  ["twilio-credential", () => `import twilio\nETAG = "${randomBytes(16).toString("hex")}"\nMESSAGING_SERVICE=MG${randomBytes(16).toString("hex")}\n`],
  // digests and identifiers near a SID that is no secret: md5sums lines, a request id, a bundle's name, a method
  ["twilio-credential", () => `# twilio account AC${randomBytes(16).toString("hex")}\n${randomBytes(16).toString("hex")}  usr/lib/app/twilio.py\nrequest_id=${randomBytes(16).toString("hex")} twilio\n<script src="main.${randomBytes(16).toString("hex")}.js"></script>\n`],
  ["twilio-credential", () => `// TWILIO sid AC${randomBytes(16).toString("hex")}\nvoid handleIncomingTwilioMessageEvent(String key) {}\nString key = handleIncomingTwilioMessageEvent;\n`],
  ["sendgrid-api-key", () => `MSG.${alnum(22)}.${alnum(43)} SG.${alnum(22)}.${alnum(20)} SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`],
  ["shopify-token", () => `shpat_${alnum(32)} myshpat_${randomBytes(16).toString("hex")} shpat_${"0".repeat(32)}`],
  ["atlassian-api-token", () => `ATATT3xFfGF0${alnum(40)} ATATT3${"x".repeat(186)}`],
  ["databricks-token", () => `dapi${randomBytes(16).toString("hex").toUpperCase()} dapi_version=${randomBytes(16).toString("hex")} libdapi${randomBytes(16).toString("hex")} dapi${"0".repeat(32)}`],
  ["webhook-signing-secret", () => "whsec_... whsec_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
  // a `sig=` with no SAS around it (no `sv=`); a SAS URL with its signature left out
  ["azure-sas-token", () => `https://cdn.acme.io/file.tar?sig=${token.azureSasSig()}&size=10`],
  ["azure-sas-token", () => "https://acme.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=<signature>"],
  ["azure-entra-client-secret", () => `abc1Q~${"x".repeat(34)} ${alnum(3)}1Q~${alnum(10)} The1Q~ in a sentence`],
  ["google-oauth-client-secret", () => "client_secret: GOCSPX-xxxxxxxxxxxxxxxxxxxxxxxxxxxx GOCSPX-<your-secret>"],
  ["jfrog-token", () => `AKCp${alnum(20)} XAKCp${alnum(69)} cmVmdGtuOjAxOj${alnum(10)}`],
  ["new-relic-key", () => `NRAK-${pick("abcdefghijklmnop", 27)} NRAK-XXXXXXXXXXXXXXXXXXXXXXXXXXX`],
  ["sentry-token", () => `sntryu_${randomBytes(32).toString("hex").toUpperCase()} sntrys_YOUR_TOKEN_HERE`],
  ["doppler-token", () => `dp.st.${alnum(20)} dp.pt.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`],
  ["terraform-cloud-token", () => `${alnum(14)}.atlasv1.${alnum(20)} xxxxxxxxxxxxxx.atlasv1.${"x".repeat(67)}`],
  ["hosting-platform-token", () => `HRKU-${alnum(58)} sbp_${alnum(40)} tskey-auth-xxxx bkua_${"0".repeat(40)} PMAK-${alnum(24)}`],
  ["saas-api-token", () => `lin_api_${"x".repeat(40)} ntn_${alnum(46)} sq0atp-xxxxx ops_eyJ${"A".repeat(20)}`],
  ["ai-api-key", () => `gsk_${"x".repeat(52)} xai-${alnum(20)} r8_${pick("abcdefghijklmnopqrstuvwxyz", 37)} lsv2_pt_${alnum(32)}`],
  ["chat-webhook", () => "https://discord.com/api/webhooks/123456789012345678/your-webhook-token https://outlook.office.com/webhook/xxx"],
  // Compose's own ways to keep a secret out: variables, secrets files, Docker's documented example
  ["compose-secret", () => "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}\n      - POSTGRES_PASSWORD_FILE=/run/secrets/db_password\n      MYSQL_ROOT_PASSWORD: example\n    secrets:\n      - db_password\nsecrets:\n  db_password:\n    file: ./db_password.txt\n"],
  ["compose-secret", () => "services:\n  app:\n    environment:\n      API_TOKEN_URL: https://auth.acme.io/token\n      SECRETS_DIR: ./secrets/prod-only\n      PASSWORD_MIN_LENGTH: '123456789'\n"],
  // a tokenizer's settings, MinIO's secrets files named beside their settings
  ["env-secret", () => "TIKTOKEN_ENCODING=cl100k_base\nTIKTOKEN_CACHE_DIR=/opt/cache\nMINIO_ACCESS_KEY_FILE=access_key\nMINIO_SECRET_KEY_FILE=secret_key\nMINIO_ROOT_PASSWORD_FILE=secret_key\nDB_PASSWORD_FILE=db-password.txt"],
  ["env-secret", () => "ConnectionStrings__Default=Server=db;Database=app;Integrated Security=true\nJDBC_URL=jdbc:postgresql://db/app?user=app&password=${DB_PASSWORD}\nPWD=/usr/src/app/frontend"],
  // the official images' settings: versions, checksums, signing keys' fingerprints, paths, switches
  ["env-secret", () => "PATH=/usr/local/bin:/usr/bin\nGPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D\nPYTHON_SHA256=8fb5f9fbc7609fa822cb31549884575db7fd9657cbffb89510b5d7975963a83a\nTOKENIZERS_PARALLELISM=false\nPWD=/usr/src/app/frontend\nBYPASS_PROXY_LIST=internal.acme.io,10.0.0.0/8"],
  ["env-secret", () => "POSTGRES_PASSWORD_FILE=/run/secrets/postgres-passwd\nVAULT_TOKEN_PATH=/var/run/secrets/vault\nOAUTH_TOKEN_URL=https://login.acme.io/oauth2/token\nAWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID}\nSECRETS_ENABLED=true-ish\nTOKEN_ISSUER_HOST=auth.acme.io"],
  ["env-secret", () => "DB_PASSWORD=${DB_PASSWORD}\nAPI_TOKEN=changeme\nMYSQL_ROOT_PASSWORD=root\nPOSTGRES_PASSWORD=postgres\nSECRET_KEY_BASE=build-only-dummy-value\nDJANGO_SECRET_KEY=insecure-for-collectstatic\nJWT_SECRET_TTL=86400000000\nAPI_KEY_ID=AKIAEXAMPLEKEY12"],

  // what a build fills in later, and the tokens other rules name
  ["npmrc-auth", () => "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"],
  ["npmrc-auth", () => `//registry.npmjs.org/:_authToken=${token.npm()}\n`],
  ["npmrc-auth", () => "self._auth = auth\nif self._authenticated: pass\n"],
  ["npmrc-auth", () => "//registry.npmjs.org/:_authToken=your_token_here\n"],
  ["netrc-password", () => "machine api.acme-corp.io login deploy password $NETRC_PASSWORD\n"],
  ["netrc-password", () => `machine github.com login x password ${token.github("p")}\n`],
  ["netrc-password", () => "a virtual machine with a password prompt: the machine asks for a password"],
  ["maven-settings-password", () => "<server><id>nexus</id><password>${env.NEXUS_PASSWORD}</password></server>"],
  ["maven-settings-password", () => "<password></password>"],
  // the commented examples of Maven's stock settings.xml (Debian installs it as /etc/maven/settings.xml)
  ["maven-settings-password", () => "<!--\n    <proxy>\n      <username>proxyuser</username>\n      <password>proxypass</password>\n    </proxy>\n    <server>\n      <id>deploymentRepo</id>\n      <username>repouser</username>\n      <password>repopwd</password>\n    </server>\n    -->\n"],
  ["composer-auth", () => JSON.stringify({ "http-basic": { "repo.acme-corp.io": { username: "ci", password: "your-password" } } })],
  ["composer-auth", () => JSON.stringify({ "github-oauth": { "github.com": alnum(40) } })],
  ["pgpass-password", () => "# hostname:port:database:username:password\ndb:5432:app:app:*\n"],
  ["mysql-password", () => "[client]\nuser=app\npassword=${MYSQL_PASSWORD}\n# password=changeme\n"],
  ["pypirc-password", () => `[pypi]\nusername = __token__\npassword = ${token.pypi()}\n`],
  ["cargo-registry-token", () => '[registry]\ntoken = "your-token-here-please"\n'],
  ["gem-credentials", () => "---\n:rubygems_api_key: aaaaaaaaaaaaaaaaaaaaaaaa\n"],
  ["terraform-credentials", () => 'plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"\n'],
  // HCP Terraform's own token is terraform-cloud-token's finding: one finding for one value
  ["terraform-credentials", () => JSON.stringify({ credentials: { "app.terraform.io": { token: token.terraformCloud() } } })],
  ["kubeconfig-credentials", () => "users:\n- name: ci\n  user:\n    exec:\n      command: aws\n      args: [eks, get-token]\n"],
  ["vault-token-file", () => "hvs.example-token-please-replace"],
  // a key of another length, upper-case hex (no Rails key), two lines
  ["rails-master-key", () => `${randomBytes(24).toString("hex")}\n`],
  ["rails-master-key", () => `${randomBytes(16).toString("hex").toUpperCase()}\n${randomBytes(16).toString("hex")}\n`],
  // the public key and a peer's preshared key are not the interface's private key; a template's placeholder
  ["wireguard-private-key", () => `[Interface]\nPrivateKey = <your-private-key>\n[Peer]\nPublicKey = ${randomBytes(32).toString("base64")}\nPresharedKey = ${randomBytes(32).toString("base64")}\n`],
  // the footer cut, a key of another size, a documentation stub
  ["openvpn-static-key", () => `-----BEGIN OpenVPN Static key V1-----\n${randomBytes(128).toString("hex").replace(/.{32}/g, "$&\n")}-----END OpenVPN Static key V1-----\n`],
  ["openvpn-static-key", () => "-----BEGIN OpenVPN Static key V1-----\n...\n-----END OpenVPN Static key V1-----\n"],
  ["gradle-properties-secret", () => "org.gradle.jvmargs=-Xmx2g\nsigning.keyId=24875D73\nsigning.password=${SIGNING_PASSWORD}\nkotlin.code.style=official\n"],
  ["gcloud-credentials", () => JSON.stringify({ type: "service_account", project_id: "demo", client_email: "x@demo.iam.gserviceaccount.com" })],
  ["azure-cli-token-cache", () => JSON.stringify({ AccessToken: {}, RefreshToken: {}, Account: { x: { username: "me@example.com" } } })],
  ["docker-config-identitytoken", () => JSON.stringify({ auths: { "ghcr.io": {} }, credsStore: "desktop" })],
  ["dotenv-secret", () => "NODE_ENV=production\nDB_PASSWORD=${DB_PASSWORD}\nAPI_TOKEN=changeme\nTOKEN_TTL=3600\nSECRET_KEY=\n"],
  // where the secret is (the official images' _FILE convention) and settings about it, not the secret
  ["dotenv-secret", () => "POSTGRES_PASSWORD_FILE=/run/secrets/db_password\nJWT_SECRET_FILE=/run/secrets/jwt\nGOOGLE_CLIENT_SECRET_PATH=/etc/app/google.json\nexport TLS_PRIVATE_KEY_DIR='./certs/private'\nSECRETS_DIR=~/secrets/app-prod\n"],
  ["dotenv-secret", () => "PASSWORD_HASH_ALGORITHM=argon2id\nJWT_SECRET_ALGORITHM=RS256-with-kid\nPASSWORD_MIN_LENGTH=12345678\nPASSWORD_POLICY=strong-mixed\nAPI_TOKEN_EXPIRY=86400sec\nREFRESH_TOKEN_TTL=30days-max\nSESSION_SECRET_ROUNDS=100000\nAPI_KEY_HEADER=X-Acme-Api-Key\n"],
  ["django-secret-key", () => "SECRET_KEY = os.environ['DJANGO_SECRET_KEY']\n"],
  ["spring-config-password", () => "spring.datasource.password=${DB_PASSWORD}\nserver.ssl.key-store-password=ENC(abcdefgh)\n"],
  ["connection-string-password", () => JSON.stringify({ ConnectionStrings: { Default: "Server=db;Database=app;Integrated Security=true;" } })],
  // deploy-time tokens (Azure DevOps, Octopus, replace-tokens), replaced with the real value at release
  ["connection-string-password", () => JSON.stringify({ ConnectionStrings: { Default: "Server=db;User Id=sa;Password=#{DbPassword}#;", Octopus: "Server=db;Password=#{Db.Password};", Legacy: "Server=db;User Id=l;Password=__LEGACY_DB_PASSWORD__;" } }, null, 2)],
  // the same tokens under every other rule
  ["dotenv-secret", () => "STRIPE_WEBHOOK_SECRET=__STRIPE_WEBHOOK_SIGNING_KEY__\n"],
  ["url-password", () => "DATABASE_URL=postgres://app:#{DbPwd}#@db.internal:5432/app redis://:__REDIS_AUTH__@cache:6379"],
  ["spring-config-password", () => "spring.datasource.password=__DB_PASSWORD__\n"],
  // documented placeholders and defaults: Slack's example webhook, redis.conf's requirepass, Supabase's local demo keys
  ["slack-webhook", () => "slack_api_url: 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'\n"],
  ["url-password", () => "REDIS_URL=redis://:foobared@redis:6379/0\n"],
  ["jwt", () => `ANON_KEY=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify({ iss: "supabase-demo", role: "anon", exp: 1983812996 })).toString("base64url")}.${alnum(43)}\n`],
  // a project's identifier, the JDK's default keystore password
  ["gradle-properties-secret", () => "org.gradle.caching=true\nsonar.projectKey=acme_payments-service\nsonar.organization=acme\nsystemProp.javax.net.ssl.trustStorePassword=changeit\n"],
  ["spring-config-password", () => "server:\n  ssl:\n    key-store: classpath:keystore.p12\n    key-store-password: changeit\n    trust-store-password: changeit\n"],
  ["wordpress-config-secret", () => "define( 'DB_PASSWORD', 'password_here' );\ndefine( 'AUTH_KEY', 'put your unique phrase here' );\ndefine( 'DB_PASSWORD', getenv('WORDPRESS_DB_PASSWORD') );\n"],
  ["private-key", () => 'const HEADER = "-----BEGIN PRIVATE KEY-----";'],
  // the same escapes around a public key, and around a key cut short in documentation
  ["private-key", () => `<key>-----BEGIN PUBLIC KEY-----&#10;${token.pemBody(270).replace(/\n/g, "&#10;")}&#10;-----END PUBLIC KEY-----</key>`],
  ["private-key", () => JSON.stringify({ v: JSON.stringify({ private_key: `-----BEGIN PRIVATE KEY-----\nMIIEv${alnum(40)}...\n-----END PRIVATE KEY-----\n` }) })],
  ["private-key", () => "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n"],
  ["private-key", () => "-----BEGIN PUBLIC KEY-----\n" + token.pemBody(270) + "\n-----END PUBLIC KEY-----\n"],
  ["private-key", () => pem("PRIVATE KEY", "PASTE-YOUR-PRIVATE-KEY-HERE-".repeat(4))],
  ["putty-private-key", () => "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\n"],
  // a short fake block does not run on through its footer, a certificate, and the next block's footer (CPython's badkey.pem)
  ["private-key", () => `-----BEGIN RSA PRIVATE KEY-----\nBad Key, though the cert should be OK\n-----END RSA PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n${token.pemBody(600)}\n-----END CERTIFICATE-----\n-----BEGIN RSA PRIVATE KEY-----\nBad Key, though the cert should be OK\n-----END RSA PRIVATE KEY-----\n`],
  // a key cut short in documentation (awscli's greengrass examples)
  ["private-key", () => `"-----BEGIN RSA PRIVATE KEY-----\\nMIIEow${token.pemBody(120).replace(/\n/g, "")}...fvY4+te\\n-----END RSA PRIVATE KEY-----"`],
  ["aws-secret-key-near-id", () => `SECRET_KEY = "${token.awsSecret()}"\n`],
  ["aws-access-key-id", () => "AKIAIOSFODNN7EXAMPLE"],
  ["openai-api-key", () => `sk-${alnum(10)} and T3BlbkFJ alone, sk-proj-${alnum(12)}`],
  ["anthropic-api-key", () => "sk-ant-api03-your-key-here"],
  ["huggingface-token", () => `from huggingface_hub import hf_hub_download; hf_${"a".repeat(34)} hf_${alnum(20)}`],
  ["aws-access-key-id", () => `XAKIA${"A".repeat(16)} AKIA${"B".repeat(15)}`],
  ["private-key-base64", () => `cert: ${Buffer.from("-----BEGIN CERTIFICATE-----\n" + token.pemBody(600) + "\n-----END CERTIFICATE-----\n").toString("base64")}`],
  ["docker-config-auth", () => JSON.stringify({ credsStore: "desktop", auths: { "https://index.docker.io/v1/": {} } })],
  ["docker-config-auth", () => JSON.stringify({ auth: Buffer.from(`ci:${alnum(24)}`).toString("base64") })],
  ["jwt", () => "token = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"],
  ["url-password", () => "postgres://postgres:postgres@localhost:5432/test ftp://anonymous:anonymous@ftp.example.net"],
  ["url-password", () => "https://user:x-oauth-basic@github.com/org/repo.git mysql://root:REPLACE_ME@db DATABASE_URL=postgres://app:CHANGE_ME@db"],
  // under its own name but no key: little variety, 41 characters, a variable
  ["aws-access-key", () => `aws_secret_access_key = ${"ab".repeat(20)}\nAWS_SECRET_ACCESS_KEY=${token.awsSecret()}Q\nSecretAccessKey: \${AWS_SECRET}\n`],
  ["aws-access-key", () => "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"],
  ["github-token", () => `ghp_${alnum(20)}`],
  ["github-token", () => `ghp_${"a".repeat(36)}`],
  ["github-token", () => `xghp_${alnum(36)}`],
  ["github-token", () => `app/tok_ghp_${alnum(20)} app/tok_ghp_${"x".repeat(36)}`],
  ["github-fine-grained-token", () => `github_pat_${alnum(30)}`],
  ["gitlab-token", () => "glpat-short"],
  ["npm-token", () => `npm_config_cache=/tmp/${alnum(36)}`],
  ["npm-token", () => `npm_${alnum(36)}x${alnum(3)}`],
  // the prefix inside ordinary words and names
  ["npm-token", () => `libnpm_${alnum(36)} pnpm_${alnum(36)} my_npm_${alnum(36)}`],
  // package.json scripts and the variables npm sets for them: an underscore within the 36 characters
  ["npm-token", () => JSON.stringify({ scripts: { build: "echo $npm_package_version && node build.js --registry=$npm_config_registry", postinstall: "test $npm_lifecycle_event = postinstall" } })],
  ["npm-token", () => "npm_package_version=1.0.0\nnpm_config_user_agent=npm/10.2.4 node/v20.11.0 linux x64 workspaces/false\nnpm_package_dependencies_left_pad=^1.3.0\n"],
  // 36 characters of one case: a name or an id, never a token (which mixes cases)
  ["npm-token", () => "npm_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8 npm_A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8"],
  ["pypi-token", () => "pypi-AgEIcHlwaS5vcmc"],
  ["dockerhub-token", () => "dckr_pat_"],
  ["slack-token", () => "xoxb-not-a-token"],
  ["slack-webhook", () => "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXX"],
  ["stripe-key", () => `sk_test_${alnum(40)}`],
  // another prefix, upper-case hex, too short or too long, inside a word, one repeated digit
  ["sonarqube-token", () => `sqx_${randomBytes(20).toString("hex")} squ_${randomBytes(20).toString("hex").toUpperCase()} squ_${randomBytes(10).toString("hex")}`],
  ["sonarqube-token", () => `squ_${randomBytes(21).toString("hex")} xsqp_${randomBytes(20).toString("hex")} sqa_${"0".repeat(40)}`],
  ["stripe-key", () => `pk_live_${alnum(40)}`],
  ["google-api-key", () => `AIza${alnum(10)}`],
  ["gcp-service-account", () => JSON.stringify({ type: "authorized_user", private_key_id: "0".repeat(40) })],
  // too short, of one character, inside a longer word, or only the prefix
  ["vault-token", () => `hvs.${alnum(40)} hvs.${"A".repeat(95)} this.hvs.value vault.hvb.x`],
  ["age-secret-key", () => `AGE-SECRET-KEY-1${"Q".repeat(58)} AGE-SECRET-KEY-1${pick("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 30)} age-secret-key-1${alnum(58).toLowerCase()}`],
  ["digitalocean-token", () => `dop_v1_${"0".repeat(64)} dop_v1_${randomBytes(16).toString("hex")} xdop_v1_${randomBytes(32).toString("hex")}`],
  ["pulumi-token", () => `pul-${randomBytes(10).toString("hex")} pul-${"a".repeat(40)} npm-pul-request`],
  ["grafana-token", () => `glsa_${alnum(32)} glsa_ glc_ glc_${"A".repeat(40)}`],
  // the emulators' published keys; a key cut short or run on; a placeholder; the policy's name alone
  ["azure-shared-key", () => "UseDevelopmentStorage=true;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1"],
  ["azure-shared-key", () => "AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==;"],
  ["azure-shared-key", () => JSON.stringify({ cosmos: "AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==;" }).replace(/\+/g, "\\u002B").replace(/\//g, "\\/")],
  ["azure-shared-key", () => `AccountKey=${token.azureStorage().slice(0, 80)}==; SharedAccessKey=${token.azureSas().slice(0, 43)}A=; AccountKey=${token.azureStorage()}AAAA`],
  ["azure-shared-key", () => `AccountKey=${"A".repeat(86)}==;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=<your-key>`],
  ["jwt", () => "eyJhbGciOiJIUzI1NiJ9"],
  // base64 of JSON written with spaces, or pretty-printed, that is not a token (one or two parts)
  ["jwt", () => `data=${Buffer.from(JSON.stringify({ name: alnum(12), version: "1.0.0" }, null, 2)).toString("base64")}`],
  ["jwt", () => `${Buffer.from('{ "alg": "none" }').toString("base64url")}.${Buffer.from('{ "sub": "x" }').toString("base64url")}`],
  ["url-password", () => "https://user:password@example.com/"],
  ["url-password", () => "postgres://app:${DB_PASSWORD}@db:5432/app"],
  ["url-password", () => "http://www.debian.org/doc/ and mailto:someone@debian.org"],
  ["url-password", () => "see https://github.com/org/repo/issues/12 (user@example.com)"],
  // hosts reserved for examples (RFC 2606, 6761): documentation and tests, whatever the password
  ["url-password", () => `https://deploy:${alnum(20)}@git.example.org/team/repo.git amqp://u:${alnum(16)}@EXAMPLE.COM:5672 x://a:${alnum(12)}@db.test/x y://b:${alnum(12)}@host.invalid`],
  ["url-password", () => "uri://us\\xA0er:pa\\uD7FFss@example.com:123/o\\uF900ne"],
  // a short password around ascending digits is a placeholder (dotenv's docs)
  ["url-password", () => "DOTENV_KEY='dotenv://:key_1234@dotenvx.com/vault/.env.vault?environment=production' dotenv://:key_7890@dotenvx.com/v"],
  // an image reference pinned by digest: `name:tag@sha256:…` reads as `user:password@host`
  ["url-password", () => `FROM docker-image://python:3.12-slim@sha256:${randomBytes(32).toString("hex")}\nimage: docker://node:20-alpine@sha256:${randomBytes(32).toString("hex")} oci://ghcr.io/acme/app:v1.2.3-rc1@sha512:${randomBytes(64).toString("hex")}`],
];

const wholeFile = new WholeFileRules(builtins);

/** Where each whole-file rule's positives sit: it runs only on files of its own names. */
const WHOLE_FILE_AT: Readonly<Record<string, string>> = {
  "npmrc-auth": "root/.npmrc",
  "netrc-password": "root/.netrc",
  "maven-settings-password": "root/.m2/settings.xml",
  "composer-auth": "root/.config/composer/auth.json",
  "pgpass-password": "root/.pgpass",
  "mysql-password": "root/.my.cnf",
  "pypirc-password": "root/.pypirc",
  "cargo-registry-token": "usr/local/cargo/credentials.toml",
  "gem-credentials": "root/.gem/credentials",
  "terraform-credentials": "root/.terraform.d/credentials.tfrc.json",
  "kubeconfig-credentials": "root/.kube/config",
  "vault-token-file": "root/.vault-token",
  "rails-master-key": "app/config/master.key",
  "wireguard-private-key": "etc/wireguard/wg0.conf",
  "gradle-properties-secret": "root/.gradle/gradle.properties",
  "gcloud-credentials": "root/.config/gcloud/application_default_credentials.json",
  "azure-cli-token-cache": "root/.azure/msal_token_cache.json",
  "docker-config-identitytoken": "root/.docker/config.json",
  "dotenv-secret": "app/.env",
  "compose-secret": "srv/app/docker-compose.yml",
  "shell-history-secret": "root/.bash_history",
  "django-secret-key": "app/mysite/settings.py",
  "spring-config-password": "app/BOOT-INF/classes/application.properties",
  "connection-string-password": "app/appsettings.Production.json",
  "wordpress-config-secret": "var/www/html/wp-config.php",
};

/** The rules that run on the image's settings (RuleSpec.settings), not on files. */
const SETTINGS_RULES = new Set(BUILTIN_RULES.filter((r) => r.settings === true).map((r) => r.id));

describe("built-in rules", () => {
  test("every whole-file rule has its place here, and only those rules", () => {
    expect(builtins.filter((r) => r.wholeFile !== undefined).map((r) => r.id).sort()).toEqual(Object.keys(WHOLE_FILE_AT).sort());
  });

  test("every built-in rule has positive and negative cases here", () => {
    for (const rule of BUILTIN_RULES) {
      // its cases are bytes, not text: test/rules/der-private-key.test.ts
      if (rule.derKeys === true) continue;
      expect(positives.some(([id]) => id === rule.id), `${rule.id} positive`).toBe(true);
      expect(negatives.some(([id]) => id === rule.id), `${rule.id} negative`).toBe(true);
    }
  });

  test.each(positives)("%s finds its secret", (id, make) => {
    const text = make();
    if (SETTINGS_RULES.has(id)) {
      expect(findSettings(text).map((f) => f.rule)).toContain(id);
      // a settings rule has no keywords: the same bytes in a file open nothing
      expect(findWhole(text).map((f) => f.rule)).not.toContain(id);
      return;
    }
    if (WHOLE_FILE_AT[id] !== undefined) {
      expect(findInFile(WHOLE_FILE_AT[id], text)).toContain(id);
      // a whole-file rule has no keywords: the same bytes in any other file open nothing
      expect(findWhole(text).map((f) => f.rule)).not.toContain(id);
      return;
    }
    const got = findWhole(text).map((f) => f.rule);
    expect(got).toContain(id);
    // the same in a stream, split in 7-byte pieces (windows across chunk boundaries)
    const bytes = Buffer.from(text);
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 7) pieces.push(bytes.subarray(at, at + 7));
    expect(findStream(pieces).rules.map((f) => f.rule)).toContain(id);
  });

  test.each(negatives)("%s stays quiet on a look-alike", (id, make) => {
    expect(findWhole(make()).map((f) => f.rule)).not.toContain(id);
    if (WHOLE_FILE_AT[id] !== undefined) expect(findInFile(WHOLE_FILE_AT[id], make())).not.toContain(id);
    if (SETTINGS_RULES.has(id)) expect(findSettings(make())).toEqual([]);
  });

  test("each built-in is valid RE2 too, and both engines find the same in every case", () => {
    for (const [, make] of [...positives, ...negatives]) {
      const text = make();
      const key = (f: { rule: string; offset: number }): string => `${f.rule}@${f.offset}`;
      expect(findWhole(text, builtinsOnRe2).map(key)).toEqual(findWhole(text).map(key));
      expect(findSettings(text, builtinsOnRe2).map(key)).toEqual(findSettings(text).map(key));
    }
  });

  test.each([
    ["npmrc-auth", "root/.npmrc", "usr/local/etc/npmrc", "app/README.md"],
    ["npmrc-auth", "app/.yarnrc.yml", "home/node/.npmrc", "app/docs/npmrc.md"],
    ["npmrc-auth", "home/node/.yarnrc", "app/.yarnrc", "app/yarnrc.md"],
    ["netrc-password", "root/.netrc", "root/_netrc", "usr/local/lib/python3.12/netrc.py"],
    ["maven-settings-password", "root/.m2/settings.xml", "opt/maven/conf/settings-security.xml", "app/pom.xml"],
    ["composer-auth", "root/.composer/auth.json", "app/auth.json", "app/composer.json"],
    ["pgpass-password", "root/.pgpass", "var/lib/postgresql/.pgpass", "app/pgpass.sample"],
    ["mysql-password", "root/.my.cnf", "home/app/.my.cnf", "etc/mysql/my.cnf"],
    ["pypirc-password", "root/.pypirc", "home/ci/.pypirc", "app/docs/pypirc.rst"],
    ["cargo-registry-token", "usr/local/cargo/credentials.toml", "root/.cargo/credentials", "root/.cargo/config.toml"],
    ["gem-credentials", "root/.gem/credentials", "home/app/.gem/credentials", "usr/local/bundle/config"],
    ["terraform-credentials", "root/.terraformrc", "root/.terraform.d/credentials.tfrc.json", "app/main.tf"],
    ["kubeconfig-credentials", "root/.kube/config", "app/deploy/kubeconfig.yaml", "app/deploy/values.yaml"],
    ["vault-token-file", "root/.vault-token", "home/app/.vault-token", "app/vault-token.txt"],
    ["rails-master-key", "rails/config/master.key", "app/config/credentials/production.key", "app/certs/server.key"],
    ["wireguard-private-key", "etc/wireguard/wg0.conf", "app/wg1.conf", "etc/nginx/nginx.conf"],
    ["gradle-properties-secret", "root/.gradle/gradle.properties", "app/gradle.properties", "app/build.gradle"],
    ["gcloud-credentials", "root/.config/gcloud/application_default_credentials.json", "root/.config/gcloud/legacy_credentials/me@acme.io/adc.json", "app/credentials.json"],
    ["azure-cli-token-cache", "root/.azure/msal_token_cache.json", "home/app/.azure/accessTokens.json", "app/msal_token_cache.json"],
    ["docker-config-identitytoken", "root/.docker/config.json", "home/ci/.docker/config.json", "app/config.json"],
    ["dotenv-secret", "app/.env", "srv/app/.env.production", "app/.env.example"],
    ["dotenv-secret", "app/.env.local", "root/.env", "app/env.sh"],
    // env files named for what they configure: `prod.env`, systemd's EnvironmentFile; not a template
    ["dotenv-secret", "app/prod.env", "etc/app/app.env", "app/example.env"],
    ["dotenv-secret", "srv/config/database.env", "opt/svc/docker.env", "app/sample.prod.env"],
    ["shell-history-secret", "root/.bash_history", "home/app/.local/share/fish/fish_history", "app/history.md"],
    ["shell-history-secret", "root/.mysql_history", "var/lib/postgresql/.psql_history", "app/.bash_history.md"],
    ["compose-secret", "srv/app/docker-compose.yml", "opt/stack/compose.prod.yaml", "app/compose.example.yaml"],
    ["compose-secret", "app/compose.yaml", "app/docker-compose.override.yml", "app/composer.json"],
    ["django-secret-key", "app/mysite/settings.py", "app/local_settings.py", "app/mysite/urls.py"],
    ["spring-config-password", "app/application.yml", "app/BOOT-INF/classes/application-prod.properties", "app/logback.xml"],
    ["connection-string-password", "app/appsettings.json", "inetpub/wwwroot/web.config", "app/app.deps.json"],
    ["wordpress-config-secret", "var/www/html/wp-config.php", "srv/wp-config.php", "var/www/html/wp-config-sample.php"],
  ])("%s counts in its own files (%s, %s), not elsewhere (%s)", (id, own, other, elsewhere) => {
    const rule = builtins.find((r) => r.id === id);
    expect(rule?.allowsPath(own)).toBe(false);
    expect(rule?.allowsPath(other)).toBe(false);
    expect(rule?.allowsPath(elsewhere)).toBe(true);
    // the file-name gate lets its own files through (to the path test), inside archives too
    const at = (path: string): string[] => (wholeFile.at(path, 100)?.rules ?? []).map((i) => builtins[i]!.id);
    expect(at(own)).toContain(id);
    expect(at(other)).toContain(id);
    expect(at(`srv/backup.tar.gz!/${own}`)).toContain(id);
  });

  test.each([
    ["var/cache/apt/archives/golang-1.19-src_1.19.8-2_all.deb!/data.tar.xz!/usr/share/go-1.19/src/crypto/tls/testdata/example-key.pem", true],
    ["tmp/pkgs/tool.rpm!/usr/lib/tool/test.key", true],
    ["var/cache/apk/openssl-3.1.apk!/usr/share/doc/key.pem", true],
    ["app/release.deb", false],
    ["app/certs/server.key", false],
  ])("a distribution package not yet installed is quiet as it would be installed: %s → %s", (path, quiet) => {
    expect(builtinsOnRe2.find((r) => r.id === "private-key")?.allowsPath(path)).toBe(quiet);
  });

  test("Debian's chromium package's own Google API key (every image that installs chromium) is no finding; one anywhere else is", () => {
    const rule = builtinsOnRe2.find((r) => r.id === "google-api-key");
    expect(rule?.allowsPath("etc/chromium.d/apikeys")).toBe(true);
    expect(rule?.allowsPath("var/cache/apt/archives/chromium.deb!/data.tar.xz!/etc/chromium.d/apikeys")).toBe(true);
    expect(rule?.allowsPath("app/config/apikeys")).toBe(false);
    expect(rule?.allowsPath("etc/chromium.d/apikeys.local")).toBe(false);
  });

  test("package documentation is not searched by the built-in rules (example keys and tokens)", () => {
    expect(builtinsOnRe2.find((r) => r.id === "private-key")?.allowsPath("usr/share/doc/libnet-ssleay-perl/examples/server_key.pem")).toBe(true);
    expect(builtinsOnRe2.find((r) => r.id === "private-key")?.allowsPath("root/.ssh/id_rsa")).toBe(false);
  });

  test.each([
    ["usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3", true],
    ["usr/lib/x86_64-linux-gnu/libgnutls.a!/crypto-selftests-pk.o", true],
    ["usr/local/lib/python3.13/test/certdata/keycert.pem", true],
    ["opt/venv/lib/python3.12/site-packages/yt_dlp/extractor/x.py", true],
    ["root/.pyenv/versions/3.11.9/lib/python3.11/test/certdata/keycert.pem", true],
    ["opt/conda/lib/python3.12/test/keycert.pem", true],
    ["usr/local/cargo/registry/src/index.crates.io-6f17d22bba15001f/rustls-0.23.5/tests/data/key.pem", true],
    ["opt/app/python/settings.py", false],
    ["srv/app/lib/python/settings.py", false],
    ["wheels/pycryptodome-3.23.0-cp37-abi3-manylinux_2_17_x86_64.whl!/Crypto/SelfTest/PublicKey/test_import_RSA.py", true],
    ["root/.gem/specs/x.gem!/data.tar.gz!/test/key.pem", true],
    ["wheels/notes.whl.txt", false],
    ["app/app.jar!/BOOT-INF/classes/application.properties", false],
    ["app/node_modules/zod/src/v4/mini/tests/string.test.ts", true],
    ["usr/local/go/src/crypto/tls/handshake_test.go", true],
    ["root/.npm/_cacache/content-v2/sha512/ab/cd.tgz!/package/README.md", true],
    ["root/.ssh/id_rsa", false],
    ["app/config/production.env", false],
    ["etc/ssl/private/server.key", false],
    // system folders anchored at the root: a folder of the same name deeper down is the app's own
    ["opt/chroot/usr/share/doc/pkg/README.md", true],
    // package documentation under any prefix: `make install`, pip data files, conda, a venv
    ["usr/local/share/doc/libnet-ssleay-perl/examples/server_key.pem", true],
    ["opt/conda/share/doc/python3-jwt/README.rst", true],
    ["opt/venv/share/man/man1/tool.1", true],
    // an app's own docs folder is the author's
    ["app/docs/deploy.md", false],
    ["app/share/docs/deploy.md", false],
    ["opt/app/usr/lib/secrets.env", false],
    ["usr/local/bin/deploy.sh", false],
    // caches and stores of third-party packages
    ["deno-dir/npm/registry.npmjs.org/ssh2/1.17.0/test/fixtures/id_rsa", true],
    ["root/.deno/npm/registry.npmjs.org/jsrsasign/11.1.0/sample.js", true],
    ["root/.cache/deno/npm/registry.npmjs.org/node-rsa/1.1.1/test/keys/private.pem", true],
    ["app/.pnpm-store/v3/files/ab/cdef0123", true],
    ["root/.local/share/pnpm/store/v3/files/ab/cdef0123", true],
    ["root/.local/share/pnpm/global/5/node_modules/x/key.pem", true],
    ["srv/pnpm/store/v10/files/00/11", true],
    ["app/static/bower_components/jsrsasign/sample.js", true],
    ["root/.cache/uv/archive-v0/Xk3aP9qLw2/Crypto/SelfTest/key.py", true],
    ["usr/local/cargo/git/checkouts/crypto-9f2c1a7b3e5d4c61/4e1f0a2/ssh/testdata/key.pem", true],
    ["root/.cargo/git/checkouts/x-1/abc/tests/key.pem", true],
    // the Google Cloud SDK wherever it was unpacked; the user's gcloud config and files beside it are theirs
    ["google-cloud-sdk/lib/googlecloudsdk/command_lib/crash_handling.py", true],
    ["root/google-cloud-sdk/lib/googlecloudsdk/command_lib/__pycache__/crash_handling.cpython-312.pyc", true],
    ["opt/google-cloud-sdk/platform/gsutil/gslib/tests/test_data/test.p12", true],
    ["usr/local/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-0.8.jar!/x/TestCertificates.class", true],
    ["home/app/google-cloud-sdk/bin/gcloud", true],
    ["opt/google-cloud-sdk/properties", false],
    ["opt/google-cloud-sdk/service-account.json", false],
    ["root/.config/gcloud/application_default_credentials.json", false],
    ["app/lib/googlecloudsdk/command_lib/crash_handling.py", false],
    ["opt/my-google-cloud-sdk/lib/key.pem", false],
    ["etc/ssl/private/ssl-cert-snakeoil.key", true],
    ["etc/ssl/certs/ssl-cert-snakeoil.pem", true],
    // the same names where an author puts files
    ["app/deno/npm/config.js", false],
    ["app/pnpm-lock.yaml", false],
    ["app/.cache/uvicorn/key.pem", false],
    ["app/cargo/gitconfig", false],
    ["etc/ssl/private/server.key", false],
    ["etc/ssl/private/ssl-cert-snakeoil.key.bak", false],
    ["opt/etc/ssl/private/ssl-cert-snakeoil.key", false],
    ["etc/ssh/ssh_host_ed25519_key", false],
    // a Python package's metadata (its README) wherever it was installed
    ["var/task/joserfc-1.6.5.dist-info/METADATA", true],
    ["var/task/PyJWT-2.6.0.egg-info/PKG-INFO", true],
    ["app/vendor/pyjwt-2.6.0/PKG-INFO", true],
    ["var/task/joserfc-1.6.5.dist-info/METADATA.bak", false],
    ["var/task/METADATA", false],
    ["var/task/PKG-INFO.txt", false],
    // npm tarballs not yet installed: `npm pack`'s root folder, a Yarn offline mirror
    ["app/npm-packages-offline-cache/ssh2-1.17.0.tgz!/package/test/fixtures/id_rsa", true],
    ["app/npm-packages-offline-cache/ssh2-1.17.0.tgz!/mscdex-ssh2-5c506eb/test/fixtures/id_rsa", true],
    ["app/vendor/jsrsasign-11.1.5.tgz!/package/sample_node/key.pem", true],
    ["app/release.tgz!/app/config/server.key", false],
    ["app/release.tar.gz!/package/config/server.key", false],
    ["app/package/config/server.key", false],
    // usr/share is packages' data, except where an image's author puts files
    ["usr/share/ca-certificates/mozilla/x.crt", true],
    ["usr/share/nginx/modules-available/mod-http-geoip.conf", true],
    ["usr/share/jenkins/jenkins.war", true],
    ["usr/share/jenkins/ref/plugins/git.jpi", true],
    ["usr/share/logstash/vendor/bundle/jruby/3.1.0/gems/x-1.0/spec/key.pem", true],
    ["usr/share/elasticsearch/lib/x.jar", true],
    ["usr/share/zoneinfo", true],
    ["usr/share/doc/elasticsearch/config/example.yml", true],
    ["usr/share/configs/x.pem", true],
    ["usr/share/nginx/html/static/js/main.3f2a1c.js", false],
    ["usr/share/nginx/html/index.html", false],
    ["usr/share/jenkins/ref/casc/jenkins.yaml", false],
    ["usr/share/jenkins/ref/jobs/deploy/config.xml", false],
    ["usr/share/logstash/pipeline/s3.conf", false],
    ["usr/share/logstash/config/logstash.yml", false],
    ["usr/share/elasticsearch/config/elasticsearch.yml", false],
    ["usr/share/kibana/config/kibana.yml", false],
    ["usr/share/myapp/config/settings.env", false],
    // system library folders, but not the units and helpers an image adds
    ["usr/lib/systemd/libsystemd-shared-252.so", true],
    ["lib/systemd/systemd-networkd", true],
    ["lib/x86_64-linux-gnu/libc.so.6", true],
    ["usr/lib64/ld-linux-x86-64.so.2", true],
    ["lib/systemd/system/app.service", false],
    ["usr/lib/systemd/system/app.service", false],
    ["usr/libexec/app/run.sh", false],
    // gems in a gem home; a folder named gems elsewhere is the app's
    ["usr/local/bundle/gems/rack-3.0.8/test/key.pem", true],
    ["var/lib/gems/3.1.0/gems/net-ssh-7.2.0/test/key.pem", true],
    ["app/vendor/bundle/ruby/3.2.0/gems/jwt-2.7.1/README.md", true],
    ["app/vendor/bundle/ruby/3.2.0/bundler/gems/omniauth-0a1b2c3d4e5f/spec/key.pem", true],
    ["root/.gem/ruby/3.2.0/gems/x-1.0/key.pem", true],
    ["home/app/gems/billing-1.0/config/secrets.yml", false],
    ["app/gems/billing-1.0/config/secrets.yml", false],
    // Composer's and Go's vendor/: a package's README, docs, examples and tests (firebase/php-jwt's
    // README example key); the rest of vendor/, and the app's own files beside it, stay searched
    ["var/www/html/vendor/firebase/php-jwt/README.md", true],
    ["app/vendor/phpseclib/phpseclib/tests/Unit/Crypt/RSA/keys.php", true],
    ["app/vendor/golang.org/x/crypto/ssh/testdata/keys.go", true],
    ["app/vendor/github.com/acme/lib/examples/main.go", true],
    ["var/www/html/vendor/acme/config/secrets.php", false],
    ["var/www/html/vendor/autoload.php", false],
    ["app/vendor/README.md", false],
    ["app/src/tests/key.pem", false],
    // Julia's standard library (LibGit2's test keys) and a PEX's unpacked wheels
    ["usr/local/julia/share/julia/stdlib/v1.10/LibGit2/test/keys/id_rsa", true],
    ["app/app.pex!/.deps/cryptography-41.0.7-cp37-abi3-manylinux_2_28_x86_64.whl/cryptography/x.py", true],
    ["app/julia/config/key.pem", false],
    ["app/.deps/key.pem", false],
  ])("where software is installed, the built-in rules stay quiet: %s → %s", (path, allowed) => {
    // (the rules of one kind of file count only there: below)
    for (const rule of builtinsOnRe2.filter((r) => r.origin.rule.paths === undefined)) expect(rule.allowsPath(path), rule.id).toBe(allowed);
  });

  test("a preview shows 2 characters of each end at most, and nothing of a short value", () => {
    const value = token.github("p");
    const [hit] = findWhole(`t=${value}\n`);
    expect(hit?.preview).toBe(`${value.slice(0, 2)}…${value.slice(-2)}`);
    const [short] = findWhole("postgres://u:abcdefgh@db/x");
    expect(short?.preview).toBe("…");
  });

  test.each([
    ["JSON", (key: string) => JSON.stringify({ key })],
    ["JSON inside JSON", (key: string) => JSON.stringify({ v: JSON.stringify({ key }) })],
    ["XML", (key: string) => `<key>${key.replace(/\n/g, "&#10;")}</key>`],
    ["XML with CRLF", (key: string) => `<key>${key.replace(/\n/g, "&#xD;&#xA;")}</key>`],
  ])("a private key's preview is its body's ends, not the escapes of its line breaks: %s", (_, wrap) => {
    const body = token.pemBody();
    const [hit] = findWhole(wrap(pem("PRIVATE KEY", body)));
    expect(hit?.preview).toBe(`${body.slice(0, 2)}…${body.slice(-2)}`);
  });

  test.each([
    [["config"], ["conf", "configs", "c", "cfg", "onfig", "configx", "co", "Config"], ["config"]],
    [["nginx", "jenkins", "logstash"], ["ngin", "nginxx", "jenkin", "l", "logstas", "doc", "n", "jenkins.war"], ["nginx", "jenkins", "logstash"]],
    [["html", "config"], ["htm", "htmls", "con", "conf", "h", "c", "www"], ["html", "config"]],
  ])("segmentOtherThan(%j): any other segment, on either engine", (names, others, excluded) => {
    const source = `^${segmentOtherThan(names)}$`;
    const re2 = RE2JS.compile(source);
    for (const s of others) expect([s, new RegExp(source).test(s), re2.matcher(s).matches()]).toEqual([s, true, true]);
    for (const s of excluded) expect([s, new RegExp(source).test(s), re2.matcher(s).matches()]).toEqual([s, false, false]);
  });
});
