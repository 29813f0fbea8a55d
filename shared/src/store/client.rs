//! Connecting to the table: the DynamoDB client and the table name, from the environment,
//! read once at init.

use std::time::Duration;

use aws_config::{BehaviorVersion, retry::RetryConfig, timeout::TimeoutConfig};
pub use aws_sdk_dynamodb::{
    Client,
    config::{Credentials, SharedHttpClient},
};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};

pub const DEFAULT_TABLE_NAME: &str = "axiom";

/// Name of the one table, from `TABLE_NAME` (default `axiom`).
pub fn table_name() -> String {
    std::env::var("TABLE_NAME")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| DEFAULT_TABLE_NAME.to_owned())
}

/// Bounds every DynamoDB call so that a database outage fails a request within a few seconds
/// (the authorizer then fails closed) instead of hanging until the Lambda timeout.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(4))
        .build()
}

/// Retries of one call that DynamoDB answered with throttling, a 5xx or not at all: the SDK's
/// standard mode (exponential backoff with jitter, a retry quota). Transactions cancelled by a
/// conflict are retried by the store itself.
/// The first pause is short, as DynamoDB's own guidance has it for a database answering in
/// milliseconds (the SDK's default, one second, would spend a request's budget on one retry).
fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(50))
}

/// HTTPS with rustls on ring; the system's root certificates.
pub fn https_client() -> SharedHttpClient {
    https_client_trusting(TrustStore::default())
}

fn https_client_trusting(roots: TrustStore) -> SharedHttpClient {
    let context = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .expect("a TLS context with a trust store builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// The roots that AWS's own endpoints chain to in its commercial partition: Amazon Trust
/// Services' four and the Starfield root that cross-signs them.
fn amazon_roots() -> TrustStore {
    TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS.as_bytes())
}

/// Whether to trust [`amazon_roots`] only: on Lambda (`AWS_LAMBDA_FUNCTION_NAME`), in the
/// commercial partition (a region such as `eu-west-1`; not China, GovCloud or the isolated
/// ones), unless `SSL_CERT_FILE` or `SSL_CERT_DIR` names other roots. Loading the system's
/// roots reads and parses some 140 files at every cold start (about 3 ms of init, measured in
/// docs/performance.md); DynamoDB's certificates are Amazon's. `env` gives a variable's value.
fn amazon_roots_only(env: &dyn Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| env(name).is_some_and(|value| !value.is_empty());
    set("AWS_LAMBDA_FUNCTION_NAME")
        && !set("SSL_CERT_FILE")
        && !set("SSL_CERT_DIR")
        && env("AWS_REGION").is_some_and(|region| is_commercial_region(&region))
}

/// A region of AWS's commercial partition: `<area>-<name>-<number>`, as its endpoint rules
/// have it.
fn is_commercial_region(region: &str) -> bool {
    const AREAS: [&str; 9] = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"];
    let parts: Vec<&str> = region.split('-').collect();
    matches!(parts.as_slice(), [area, name, number]
        if AREAS.contains(area)
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric())
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit()))
}

/// The SDK's configuration from its standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL_*`,
/// credentials), with bounded timeouts and retries. On Lambda it trusts Amazon's roots only
/// ([`amazon_roots_only`]).
async fn sdk_config() -> aws_config::SdkConfig {
    let http = if amazon_roots_only(&|name| std::env::var(name).ok()) {
        https_client_trusting(amazon_roots())
    } else {
        https_client()
    };
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

/// A DynamoDB client from the SDK's standard environment: see [`sdk_config`].
pub async fn dynamodb_client() -> Client {
    Client::new(&sdk_config().await)
}

/// A client for a DynamoDB Local endpoint, with the dummy credentials it accepts.
pub async fn local_dynamodb_client(endpoint: &str) -> Client {
    local_dynamodb_client_over(endpoint, https_client()).await
}

/// [`local_dynamodb_client`] over another HTTP client (tests put one that injects faults).
pub async fn local_dynamodb_client_over(endpoint: &str, http: SharedHttpClient) -> Client {
    let credentials = Credentials::new("local", "local", None, None, "local");
    fixed_client(endpoint, http, "us-east-1", credentials).await
}

/// A client for a DynamoDB on this machine (such as a DynamoDB Local started elsewhere) with
/// the given region and credentials: nothing is looked up in profiles or instance metadata.
pub async fn loopback_dynamodb_client(endpoint: &str, region: &str, credentials: Credentials) -> Client {
    fixed_client(endpoint, https_client(), region, credentials).await
}

async fn fixed_client(
    endpoint: &str,
    http: SharedHttpClient,
    region: &str,
    credentials: Credentials,
) -> Client {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(credentials)
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await;
    Client::new(&sdk)
}

/// An SQS client from the SDK's standard environment (`AWS_ENDPOINT_URL_SQS` included), as the
/// runs queue's: see [`sdk_config`].
pub async fn sqs_client() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&sdk_config().await)
}

/// The store for this process, from the environment; with the runs queue when `QUEUE_URL` names
/// it (the functions that make runs runnable).
pub async fn store() -> super::Store {
    let sdk = sdk_config().await;
    let store = super::Store::new(Client::new(&sdk), table_name());
    match std::env::var("QUEUE_URL") {
        Ok(url) if !url.is_empty() => store.with_queue(super::RunQueue::Sqs {
            client: aws_sdk_sqs::Client::new(&sdk),
            url: url.into(),
        }),
        _ => store,
    }
}

/// Amazon Trust Services' root certificates (Amazon Root CA 1 to 4) and Starfield Services Root
/// Certificate Authority - G2, as Debian's ca-certificates ships them; see
/// https://www.amazontrust.com/repository/. Lines outside `BEGIN`/`END` are ignored.
const AMAZON_TRUST_SERVICES_ROOTS: &str = "\
# subject=C = US, O = Amazon, CN = Amazon Root CA 1; notAfter=Jan 17 00:00:00 2038 GMT
-----BEGIN CERTIFICATE-----
MIIDQTCCAimgAwIBAgITBmyfz5m/jAo54vB4ikPmljZbyjANBgkqhkiG9w0BAQsF
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6
b24gUm9vdCBDQSAxMB4XDTE1MDUyNjAwMDAwMFoXDTM4MDExNzAwMDAwMFowOTEL
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJv
b3QgQ0EgMTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBALJ4gHHKeNXj
ca9HgFB0fW7Y14h29Jlo91ghYPl0hAEvrAIthtOgQ3pOsqTQNroBvo3bSMgHFzZM
9O6II8c+6zf1tRn4SWiw3te5djgdYZ6k/oI2peVKVuRF4fn9tBb6dNqcmzU5L/qw
IFAGbHrQgLKm+a/sRxmPUDgH3KKHOVj4utWp+UhnMJbulHheb4mjUcAwhmahRWa6
VOujw5H5SNz/0egwLX0tdHA114gk957EWW67c4cX8jJGKLhD+rcdqsq08p8kDi1L
93FcXmn/6pUCyziKrlA4b9v7LWIbxcceVOF34GfID5yHI9Y/QCB/IIDEgEw+OyQm
jgSubJrIqg0CAwEAAaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMC
AYYwHQYDVR0OBBYEFIQYzIU07LwMlJQuCFmcx7IQTgoIMA0GCSqGSIb3DQEBCwUA
A4IBAQCY8jdaQZChGsV2USggNiMOruYou6r4lK5IpDB/G/wkjUu0yKGX9rbxenDI
U5PMCCjjmCXPI6T53iHTfIUJrU6adTrCC2qJeHZERxhlbI1Bjjt/msv0tadQ1wUs
N+gDS63pYaACbvXy8MWy7Vu33PqUXHeeE6V/Uq2V8viTO96LXFvKWlJbYK8U90vv
o/ufQJVtMVT8QtPHRh8jrdkPSHCa2XV4cdFyQzR1bldZwgJcJmApzyMZFo6IQ6XU
5MsI+yMRQ+hDKXJioaldXgjUkK642M4UwtBV8ob2xJNDd2ZhwLnoQdeXeGADbkpy
rqXRfboQnoZsG4q5WTP468SQvvG5
-----END CERTIFICATE-----
# subject=C = US, O = Amazon, CN = Amazon Root CA 2; notAfter=May 26 00:00:00 2040 GMT
-----BEGIN CERTIFICATE-----
MIIFQTCCAymgAwIBAgITBmyf0pY1hp8KD+WGePhbJruKNzANBgkqhkiG9w0BAQwF
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6
b24gUm9vdCBDQSAyMB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTEL
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJv
b3QgQ0EgMjCCAiIwDQYJKoZIhvcNAQEBBQADggIPADCCAgoCggIBAK2Wny2cSkxK
gXlRmeyKy2tgURO8TW0G/LAIjd0ZEGrHJgw12MBvIITplLGbhQPDW9tK6Mj4kHbZ
W0/jTOgGNk3Mmqw9DJArktQGGWCsN0R5hYGCrVo34A3MnaZMUnbqQ523BNFQ9lXg
1dKmSYXpN+nKfq5clU1Imj+uIFptiJXZNLhSGkOQsL9sBbm2eLfq0OQ6PBJTYv9K
8nu+NQWpEjTj82R0Yiw9AElaKP4yRLuH3WUnAnE72kr3H9rN9yFVkE8P7K6C4Z9r
2UXTu/Bfh+08LDmG2j/e7HJV63mjrdvdfLC6HM783k81ds8P+HgfajZRRidhW+me
z/CiVX18JYpvL7TFz4QuK/0NURBs+18bvBt+xa47mAExkv8LV/SasrlX6avvDXbR
8O70zoan4G7ptGmh32n2M8ZpLpcTnqWHsFcQgTfJU7O7f/aS0ZzQGPSSbtqDT6Zj
mUyl+17vIWR6IF9sZIUVyzfpYgwLKhbcAS4y2j5L9Z469hdAlO+ekQiG+r5jqFoz
7Mt0Q5X5bGlSNscpb/xVA1wf+5+9R+vnSUeVC06JIglJ4PVhHvG/LopyboBZ/1c6
+XUyo05f7O0oYtlNc/LMgRdg7c3r3NunysV+Ar3yVAhU/bQtCSwXVEqY0VThUWcI
0u1ufm8/0i2BWSlmy5A5lREedCf+3euvAgMBAAGjQjBAMA8GA1UdEwEB/wQFMAMB
Af8wDgYDVR0PAQH/BAQDAgGGMB0GA1UdDgQWBBSwDPBMMPQFWAJI/TPlUq9LhONm
UjANBgkqhkiG9w0BAQwFAAOCAgEAqqiAjw54o+Ci1M3m9Zh6O+oAA7CXDpO8Wqj2
LIxyh6mx/H9z/WNxeKWHWc8w4Q0QshNabYL1auaAn6AFC2jkR2vHat+2/XcycuUY
+gn0oJMsXdKMdYV2ZZAMA3m3MSNjrXiDCYZohMr/+c8mmpJ5581LxedhpxfL86kS
k5Nrp+gvU5LEYFiwzAJRGFuFjWJZY7attN6a+yb3ACfAXVU3dJnJUH/jWS5E4ywl
7uxMMne0nxrpS10gxdr9HIcWxkPo1LsmmkVwXqkLN1PiRnsn/eBG8om3zEK2yygm
btmlyTrIQRNg91CMFa6ybRoVGld45pIq2WWQgj9sAq+uEjonljYE1x2igGOpm/Hl
urR8FLBOybEfdF849lHqm/osohHUqS0nGkWxr7JOcQ3AWEbWaQbLU8uz/mtBzUF+
fUwPfHJ5elnNXkoOrJupmHN5fLT0zLm4BwyydFy4x2+IoZCn9Kr5v2c69BoVYh63
n749sSmvZ6ES8lgQGVMDMBu4Gon2nL2XA46jCfMdiyHxtN/kHNGfZQIG6lzWE7OE
76KlXIx3KadowGuuQNKotOrN8I1LOJwZmhsoVLiJkO/KdYE+HvJkJMcYr07/R54H
9jVlpNMKVv/1F2Rs76giJUmTtt8AF9pYfl3uxRuw0dFfIRDH+fO6AgonB8Xx1sfT
4PsJYGw=
-----END CERTIFICATE-----
# subject=C = US, O = Amazon, CN = Amazon Root CA 3; notAfter=May 26 00:00:00 2040 GMT
-----BEGIN CERTIFICATE-----
MIIBtjCCAVugAwIBAgITBmyf1XSXNmY/Owua2eiedgPySjAKBggqhkjOPQQDAjA5
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6b24g
Um9vdCBDQSAzMB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTELMAkG
A1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJvb3Qg
Q0EgMzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCmXp8ZBf8ANm+gBG1bG8lKl
ui2yEujSLtf6ycXYqm0fc4E7O5hrOXwzpcVOho6AF2hiRVd9RFgdszflZwjrZt6j
QjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgGGMB0GA1UdDgQWBBSr
ttvXBp43rDCGB5Fwx5zEGbF4wDAKBggqhkjOPQQDAgNJADBGAiEA4IWSoxe3jfkr
BqWTrBqYaGFy+uGh0PsceGCmQ5nFuMQCIQCcAu/xlJyzlvnrxir4tiz+OpAUFteM
YyRIHN8wfdVoOw==
-----END CERTIFICATE-----
# subject=C = US, O = Amazon, CN = Amazon Root CA 4; notAfter=May 26 00:00:00 2040 GMT
-----BEGIN CERTIFICATE-----
MIIB8jCCAXigAwIBAgITBmyf18G7EEwpQ+Vxe3ssyBrBDjAKBggqhkjOPQQDAzA5
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6b24g
Um9vdCBDQSA0MB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTELMAkG
A1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJvb3Qg
Q0EgNDB2MBAGByqGSM49AgEGBSuBBAAiA2IABNKrijdPo1MN/sGKe0uoe0ZLY7Bi
9i0b2whxIdIA6GO9mif78DluXeo9pcmBqqNbIJhFXRbb/egQbeOc4OO9X4Ri83Bk
M6DLJC9wuoihKqB1+IGuYgbEgds5bimwHvouXKNCMEAwDwYDVR0TAQH/BAUwAwEB
/zAOBgNVHQ8BAf8EBAMCAYYwHQYDVR0OBBYEFNPsxzplbszh2naaVvuc84ZtV+WB
MAoGCCqGSM49BAMDA2gAMGUCMDqLIfG9fhGt0O9Yli/W651+kI0rz2ZVwyzjKKlw
CkcO8DdZEv8tmZQoTipPNU0zWgIxAOp1AE47xDqUEpHJWEadIRNyp4iciuRMStuW
1KyLa2tJElMzrdfkviT8tQp21KW8EA==
-----END CERTIFICATE-----
# subject=C = US, ST = Arizona, L = Scottsdale, O = Starfield Technologies, Inc., CN = Starfield Services Root Certificate Authority - G2; notAfter=Dec 31 23:59:59 2037 GMT
-----BEGIN CERTIFICATE-----
MIID7zCCAtegAwIBAgIBADANBgkqhkiG9w0BAQsFADCBmDELMAkGA1UEBhMCVVMx
EDAOBgNVBAgTB0FyaXpvbmExEzARBgNVBAcTClNjb3R0c2RhbGUxJTAjBgNVBAoT
HFN0YXJmaWVsZCBUZWNobm9sb2dpZXMsIEluYy4xOzA5BgNVBAMTMlN0YXJmaWVs
ZCBTZXJ2aWNlcyBSb290IENlcnRpZmljYXRlIEF1dGhvcml0eSAtIEcyMB4XDTA5
MDkwMTAwMDAwMFoXDTM3MTIzMTIzNTk1OVowgZgxCzAJBgNVBAYTAlVTMRAwDgYD
VQQIEwdBcml6b25hMRMwEQYDVQQHEwpTY290dHNkYWxlMSUwIwYDVQQKExxTdGFy
ZmllbGQgVGVjaG5vbG9naWVzLCBJbmMuMTswOQYDVQQDEzJTdGFyZmllbGQgU2Vy
dmljZXMgUm9vdCBDZXJ0aWZpY2F0ZSBBdXRob3JpdHkgLSBHMjCCASIwDQYJKoZI
hvcNAQEBBQADggEPADCCAQoCggEBANUMOsQq+U7i9b4Zl1+OiFOxHz/Lz58gE20p
OsgPfTz3a3Y4Y9k2YKibXlwAgLIvWX/2h/klQ4bnaRtSmpDhcePYLQ1Ob/bISdm2
8xpWriu2dBTrz/sm4xq6HZYuajtYlIlHVv8loJNwU4PahHQUw2eeBGg6345AWh1K
Ts9DkTvnVtYAcMtS7nt9rjrnvDH5RfbCYM8TWQIrgMw0R9+53pBlbQLPLJGmpufe
hRhJfGZOozptqbXuNC66DQO4M99H67FrjSXZm86B0UVGMpZwh94CDklDhbZsc7tk
6mFBrMnUVN+HL8cisibMn1lUaJ/8viovxFUcdUBgF4UCVTmLfwUCAwEAAaNCMEAw
DwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFJxfAN+q
AdcwKziIorhtSpzyEZGDMA0GCSqGSIb3DQEBCwUAA4IBAQBLNqaEd2ndOxmfZyMI
bw5hyf2E3F/YNoHN2BtBLZ9g3ccaaNnRbobhiCPPE95Dz+I0swSdHynVv/heyNXB
ve6SbzJ08pGCL72CQnqtKrcgfU28elUSwhXqvfdqlS5sdJ/PHLTyxQGjhdByPq1z
qwubdQxtRbeOlKyWN7Wg0I8VRw7j6IPdj/3vQQF3zCepYoUz8jcI73HPdwbeyBkd
iEDPfUYd/x7H4c7/I9vG+o1VTqkC50cRRj70/b17KSa7qWFiNyi2LSr2EIZkyXCn
0q23KXB56jzaYyWf/Wi3MOxw+3WKt21gZ7IeyLnp2KhvAotnDU0mV3HaIPzBSlCN
sSi6
-----END CERTIFICATE-----
";

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    const LAMBDA: [(&str, &str); 2] = [
        ("AWS_LAMBDA_FUNCTION_NAME", "authorizer"),
        ("AWS_REGION", "eu-west-1"),
    ];

    #[test]
    fn amazon_roots_on_lambda_in_the_commercial_partition_only() {
        assert!(amazon_roots_only(&env(&LAMBDA)));
        assert!(
            !amazon_roots_only(&env(&[("AWS_REGION", "eu-west-1")])),
            "not on Lambda"
        );
        for region in [
            "cn-north-1",
            "us-gov-west-1",
            "us-isob-east-1",
            "eusc-de-east-1",
            "",
        ] {
            let vars = [("AWS_LAMBDA_FUNCTION_NAME", "authorizer"), ("AWS_REGION", region)];
            assert!(!amazon_roots_only(&env(&vars)), "{region}");
        }
        for variable in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
            let vars = [LAMBDA[0], LAMBDA[1], (variable, "/etc/ssl/certs")];
            assert!(!amazon_roots_only(&env(&vars)), "{variable}");
        }
        for region in ["us-east-1", "ap-southeast-5", "il-central-1", "mx-central-1"] {
            assert!(is_commercial_region(region), "{region}");
        }
    }

    #[tokio::test]
    async fn the_amazon_roots_are_five_valid_certificates() {
        assert_eq!(
            AMAZON_TRUST_SERVICES_ROOTS
                .matches("-----BEGIN CERTIFICATE-----")
                .count(),
            5
        );
        // Building a client builds its TLS connector, which parses every root (and panics on
        // one that does not parse).
        let credentials = Credentials::new("local", "local", None, None, "local");
        fixed_client(
            "https://127.0.0.1:9",
            https_client_trusting(amazon_roots()),
            "us-east-1",
            credentials,
        )
        .await;
    }
}
