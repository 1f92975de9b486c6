#!/usr/bin/env node
/*
 * The official Node.js SDK (`cloudinary` from npm) as a test-only client of the local
 * emulator: `node scenarios.js <call> [JSON arguments...]` makes one or a few SDK calls
 * of Cloudinary's "Moderate images with AI" tutorial and prints what the SDK returned as
 * JSON on stdout (`{"error": {...}}` and exit status 2 when the SDK reports an error).
 * tests/sdk/test_tutorial.py runs it against an emulator (CLOUDINARY_URL in the
 * environment) and checks both this output and the emulator's state.
 */
'use strict';

const cloudinary = require('cloudinary').v2;

// Cloudinary's API secrets are letters, digits, '-' and '_'; the test suite's sentinel
// secret also has '=', which Node's URL parser leaves percent-encoded in the password.
cloudinary.config({ api_secret: decodeURIComponent(cloudinary.config().api_secret) });

function promised(call) {
  return new Promise((resolve, reject) => {
    call((error, result) => (error ? reject(error) : resolve(result)));
  });
}

const calls = {
  upload: (file, options) => cloudinary.uploader.upload(file, options),
  unsigned_upload: (file, preset, options) =>
    cloudinary.uploader.unsigned_upload(file, preset, options),
  upload_large: (file, options) =>
    promised((done) => cloudinary.uploader.upload_large(file, options, done)),
  async preset_lifecycle(name, create, update) {
    const created = await cloudinary.api.create_upload_preset({ name, ...create });
    const listed = await cloudinary.api.upload_presets({ max_results: 500 });
    const fetched = await cloudinary.api.upload_preset(name);
    const updated = await cloudinary.api.update_upload_preset(name, update);
    const refetched = await cloudinary.api.upload_preset(name);
    return { created, listed, fetched, updated, refetched };
  },
  delete_preset: (name) => cloudinary.api.delete_upload_preset(name),
  upload_preset: (name) => cloudinary.api.upload_preset(name),
  queue: (kind, status, options) => cloudinary.api.resources_by_moderation(kind, status, options),
  decide: (publicId, status) => cloudinary.api.update(publicId, { moderation_status: status }),
  resource: (publicId, options) => cloudinary.api.resource(publicId, options),
};

async function main() {
  const [name, ...rest] = process.argv.slice(2);
  const call = calls[name];
  if (call === undefined) {
    throw new Error(`unknown call ${name}; known: ${Object.keys(calls).join(', ')}`);
  }
  const result = await call(...rest.map((argument) => JSON.parse(argument)));
  process.stdout.write(JSON.stringify(result));
}

main().catch((failure) => {
  const error = failure.error || failure;
  process.stdout.write(JSON.stringify({ error: { message: error.message, http_code: error.http_code } }));
  process.exitCode = 2;
});
