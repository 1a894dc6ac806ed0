export declare const CHROMIUM_DIR: string;
export declare const SWIFTSHADER_ICD: string;
export declare const SYSTEM_LIB_DIRS: readonly string[];
export declare const ICD_DIRS: readonly string[];
export interface VulkanFs {
  exists(path: string): boolean;
  /** the .json files of a folder ([] when it does not exist) */
  listJson(dir: string): string[];
  platform: string;
}
export declare function chromiumVulkanEnv(
  env?: Record<string, string | undefined>, fs?: VulkanFs,
): { LD_LIBRARY_PATH: string; VK_ICD_FILENAMES?: string } | null;
/** Re-execute this process with chromiumVulkanEnv()'s variables when needed; true when it did (do nothing more). */
export declare function reexecWithVulkanLoader(prog?: string): boolean;
