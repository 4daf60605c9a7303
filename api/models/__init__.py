"""Request and response models of the API (pydantic), with examples for the OpenAPI."""
