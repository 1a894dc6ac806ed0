/**
 * GPUBufferUsage / GPUMapMode / GPUShaderStage values (WebGPU spec), so the
 * runtime needs no globals from the `webgpu` package.
 */
export const MAP_READ = 0x0001;
export const COPY_SRC = 0x0004;
export const COPY_DST = 0x0008;
export const UNIFORM = 0x0040;
export const STORAGE = 0x0080;
export const QUERY_RESOLVE = 0x0200;
export const MAP_MODE_READ = 0x0001;
export const SHADER_STAGE_COMPUTE = 0x4;
