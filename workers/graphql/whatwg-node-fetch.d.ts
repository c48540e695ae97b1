// Types only (tsconfig "paths"): graphql-yoga's typings import @whatwg-node/fetch, whose declarations
// reference lib "dom" and so bring browser globals into the whole program, where they clash with the
// Workers and Node types. The runtime is the Workers' own fetch API; these name its globals.
export declare const fetch: typeof globalThis.fetch;
export declare const Request: typeof globalThis.Request;
export declare const Response: typeof globalThis.Response;
export declare const Headers: typeof globalThis.Headers;
export declare const FormData: typeof globalThis.FormData;
export declare const ReadableStream: typeof globalThis.ReadableStream;
export declare const WritableStream: typeof globalThis.WritableStream;
export declare const TransformStream: typeof globalThis.TransformStream;
export declare const CompressionStream: typeof globalThis.CompressionStream;
export declare const DecompressionStream: typeof globalThis.DecompressionStream;
export declare const TextDecoderStream: typeof globalThis.TextDecoderStream;
export declare const TextEncoderStream: typeof globalThis.TextEncoderStream;
export declare const Blob: typeof globalThis.Blob;
export declare const File: typeof globalThis.File;
export declare const crypto: typeof globalThis.crypto;
export declare const btoa: typeof globalThis.btoa;
export declare const TextDecoder: typeof globalThis.TextDecoder;
export declare const TextEncoder: typeof globalThis.TextEncoder;
export declare const URL: typeof globalThis.URL;
export declare const URLSearchParams: typeof globalThis.URLSearchParams;
export declare const URLPattern: typeof globalThis.URLPattern;
export type FormDataLimits = Record<string, number | undefined>;
export declare const createFetch: (opts?: object) => Record<string, unknown>;
