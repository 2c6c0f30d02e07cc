// WWW-Authenticate parsing (examples from the Docker token-auth spec and RFC 7235), credential
// sources, and base64 against the RFC 4648 test vectors.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "registry/auth.h"
#include "registry/http.h"

namespace corral::registry {
namespace {

TEST(WwwAuthenticate, DockerBearerChallenge) {
  // The example of https://distribution.github.io/distribution/spec/auth/token/
  auto r = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].scheme, "bearer");
  EXPECT_EQ((*r)[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ((*r)[0].param("service"), "registry.docker.io");
  EXPECT_EQ((*r)[0].param("scope"), "repository:samalba/my-app:pull,push");
}

TEST(WwwAuthenticate, BasicAndCaseAndSpaces) {
  auto r = parse_www_authenticate(R"(BASIC  Realm = "basic-realm" , charset="UTF-8")");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].scheme, "basic");
  EXPECT_EQ((*r)[0].param("realm"), "basic-realm");
  EXPECT_EQ((*r)[0].param("charset"), "UTF-8");
}

TEST(WwwAuthenticate, SeveralChallengesInOneHeader) {
  // RFC 7235 section 4.1's example.
  auto r = parse_www_authenticate(R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].scheme, "newauth");
  EXPECT_EQ((*r)[0].param("realm"), "apps");
  EXPECT_EQ((*r)[0].param("type"), "1");
  EXPECT_EQ((*r)[0].param("title"), "Login to \"apps\"");
  EXPECT_EQ((*r)[1].scheme, "basic");
  EXPECT_EQ((*r)[1].param("realm"), "simple");
}

TEST(WwwAuthenticate, SchemeWithoutParamsAndToken68) {
  auto r = parse_www_authenticate("Negotiate, Other abc+/def==");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].scheme, "negotiate");
  EXPECT_TRUE((*r)[0].params.empty());
  EXPECT_EQ((*r)[1].scheme, "other");
  EXPECT_EQ((*r)[1].token68, "abc+/def==");
}

TEST(WwwAuthenticate, MalformedInputsAreErrors) {
  for (const char* bad : {"", "   ", R"(Bearer realm="unterminated)", "Bearer realm=", R"(Bearer realm="a" service="b")",
                          "=x", R"(Bearer realm="a", realm="b")", "Bearer realm=\"a\" junk=\"b\" tail"}) {
    auto r = parse_www_authenticate(bad);
    EXPECT_FALSE(r.ok()) << "accepted: " << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("WWW-Authenticate"), std::string::npos);
    }
  }
  EXPECT_FALSE(parse_www_authenticate(std::string(20000, 'a')).ok());
}

TEST(Credentials, ParseUserPassword) {
  auto c = parse_credentials("alice:s3:cr3t\n", "test");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3:cr3t");
  EXPECT_FALSE(parse_credentials("nocolon", "test").ok());
  EXPECT_FALSE(parse_credentials(":pw", "test").ok());
  EXPECT_FALSE(parse_credentials("a:b\rc", "test").ok());
}

TEST(Credentials, EnvWinsThenFileByHost) {
  auto dir = std::filesystem::temp_directory_path() / ("corral-reg-auth-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "auth").string();
  {
    std::ofstream out(file);
    out << "# comment\n\nreg.example:5000 bob:pw1\nfallback:pw2\n";
  }
  auto env = load_credentials("alice:x", file, "reg.example:5000");
  ASSERT_TRUE(env.ok());
  ASSERT_TRUE(env->has_value());
  EXPECT_EQ((*env)->user, "alice");
  auto by_host = load_credentials("", file, "REG.example:5000");
  ASSERT_TRUE(by_host.ok());
  ASSERT_TRUE(by_host->has_value());
  EXPECT_EQ((*by_host)->user, "bob");
  EXPECT_EQ((*by_host)->password, "pw1");
  auto other = load_credentials("", file, "other.host");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other->has_value());
  EXPECT_EQ((*other)->user, "fallback");
  auto none = load_credentials("", "", "x");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(load_credentials("", (dir / "missing").string(), "x").ok());
  std::filesystem::remove_all(dir);
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  // RFC 7617's example: "Aladdin:open sesame".
  EXPECT_EQ(basic_authorization(Credentials{"Aladdin", "open sesame"}), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(UrlEscape, ReservedCharacters) {
  EXPECT_EQ(url_escape("repository:a/b:pull,push"), "repository%3Aa%2Fb%3Apull%2Cpush");
  EXPECT_EQ(url_escape("A-z_0.9~"), "A-z_0.9~");
}

TEST(HttpSend, RefusesPlainHttpAndOtherSchemesUnlessInsecure) {
  HttpRequest req;
  req.url = "http://127.0.0.1:1/v2/";
  auto r = http_send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--insecure"), std::string::npos);
  req.url = "file:///etc/passwd";
  req.allow_plain_http = true;
  EXPECT_FALSE(http_send(req).ok());
}

}  // namespace
}  // namespace corral::registry
