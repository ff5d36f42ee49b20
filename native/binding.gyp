{
  "targets": [
    {
      "target_name": "line_scan",
      "sources": ["line-scan.cc"],
      "cflags_cc": ["-O2", "-std=c++17"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O2", "-std=c++17"] },
      "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2, "AdditionalOptions": ["/std:c++17"] } }
    }
  ]
}
