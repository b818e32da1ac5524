// npm run openapi: writes openapi/openapi.json from the routes.
import fs from 'node:fs';
import { documentText, generateOpenApiDocument, OPENAPI_PATH } from '../src/api/openapiDocument.ts';

fs.writeFileSync(OPENAPI_PATH, documentText(await generateOpenApiDocument()));
console.log(`wrote ${OPENAPI_PATH}`);
