// Swagger UI on the app's OpenAPI document; "Authorize" takes a token from POST /api/auth/token.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
});
